import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { Link, useSearchParams } from "react-router";
import { api, rowsOf } from "../api/client";
import { Pager, useCursorPager } from "../components/Pager";
import { EmptyState, OutcomeBadge, PageHeader, Panel, QueryState, StatusBadge, Table, td, th } from "../components/ui";
import { dateTime, duration, humanize } from "../lib/format";
import type { CallOutcome, CallPublic, CallStatus, Page, TacticPublic } from "../types";

const STATUSES: CallStatus[] = ["queued", "initiated", "ringing", "in_progress", "completed", "busy", "no_answer", "failed", "canceled"];
const OUTCOMES: CallOutcome[] = [
  "payment", "promise_to_pay", "payment_plan", "callback_scheduled", "refused", "dispute", "hardship", "transferred",
  "wrong_party", "unknown_party", "failed_verification", "cease_requested", "bankruptcy", "deceased",
  "inconvenient_time", "voicemail", "abandoned",
];
const FILTERS = ["status", "outcome", "direction", "tactic_id", "campaign_id", "customer_id", "started_from", "started_to"] as const;

export default function Calls() {
  const [params, setParams] = useSearchParams();
  const pager = useCursorPager();
  const filters = Object.fromEntries(FILTERS.map((name) => [name, params.get(name) ?? ""]));
  const query = {
    ...filters,
    started_from: filters.started_from ? new Date(`${filters.started_from}T00:00:00`).toISOString() : "",
    started_to: filters.started_to ? new Date(`${filters.started_to}T23:59:59`).toISOString() : "",
    cursor: pager.cursor,
    limit: 25,
  };
  const calls = useQuery({
    queryKey: ["calls", "list", query],
    queryFn: ({ signal }) => api.get<Page<CallPublic>>("/calls", query, signal),
    placeholderData: keepPreviousData,
  });
  const tactics = useQuery({ queryKey: ["tactics"], queryFn: () => api.get<Page<TacticPublic> | TacticPublic[]>("/tactics") });

  function setFilter(name: string, value: string) {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    setParams(next, { replace: true });
    pager.reset();
  }
  const active = FILTERS.some((name) => params.get(name));

  return (
    <div>
      <PageHeader title="Calls" subtitle="Every call Archer placed or answered, newest first" />
      <Panel>
        <div className="mb-4 grid grid-cols-2 gap-3 md:grid-cols-3 xl:grid-cols-6">
          <Select label="Status" value={filters.status ?? ""} onChange={(v) => setFilter("status", v)} options={STATUSES} />
          <Select label="Outcome" value={filters.outcome ?? ""} onChange={(v) => setFilter("outcome", v)} options={OUTCOMES} />
          <Select label="Direction" value={filters.direction ?? ""} onChange={(v) => setFilter("direction", v)} options={["outbound", "inbound"]} />
          <label className="flex flex-col gap-1 text-xs text-muted">
            Tactic
            <select className="input" value={filters.tactic_id ?? ""} onChange={(e) => setFilter("tactic_id", e.target.value)}>
              <option value="">Any</option>
              {rowsOf(tactics.data).map((tactic) => (
                <option key={tactic.id} value={tactic.id}>
                  {humanize(tactic.name)}
                </option>
              ))}
            </select>
          </label>
          <label className="flex flex-col gap-1 text-xs text-muted">
            From
            <input type="date" className="input" value={filters.started_from ?? ""} onChange={(e) => setFilter("started_from", e.target.value)} />
          </label>
          <label className="flex flex-col gap-1 text-xs text-muted">
            To
            <input type="date" className="input" value={filters.started_to ?? ""} onChange={(e) => setFilter("started_to", e.target.value)} />
          </label>
        </div>
        {active && (
          <button type="button" className="mb-3 text-xs text-accent-text underline" onClick={() => { setParams({}, { replace: true }); pager.reset(); }}>
            Clear filters
          </button>
        )}
        <QueryState
          isPending={calls.isPending}
          error={calls.error}
          refetch={calls.refetch}
          isEmpty={calls.data?.data.length === 0}
          empty={<EmptyState title={active ? "No calls match these filters" : "No calls yet"}>Calls appear here as campaigns run, customers call back, or you place a test call.</EmptyState>}
        >
          <Table label="Calls">
            <thead>
              <tr>
                <th className={th}>Started</th>
                <th className={th}>Direction</th>
                <th className={th}>Number</th>
                <th className={th}>Status</th>
                <th className={th}>Outcome</th>
                <th className={th}>Verified</th>
                <th className={th}>Duration</th>
              </tr>
            </thead>
            <tbody>
              {calls.data?.data.map((call) => (
                <tr key={call.id} className="hover:bg-raised">
                  <td className={td}>
                    <Link to={`/calls/${call.id}`} className="text-accent-text hover:underline">
                      {dateTime(call.start_time)}
                    </Link>
                  </td>
                  <td className={td}>{humanize(call.direction)}</td>
                  <td className={`${td} font-mono text-xs`}>{call.direction === "inbound" ? call.from_number : call.to_number}</td>
                  <td className={td}>
                    <StatusBadge status={call.status} />
                  </td>
                  <td className={td}>
                    <OutcomeBadge outcome={call.outcome} />
                  </td>
                  <td className={td}>{call.verified ? "Yes" : "No"}</td>
                  <td className={td}>{duration(call.duration_seconds)}</td>
                </tr>
              ))}
            </tbody>
          </Table>
          <Pager
            page={pager.page}
            count={calls.data?.count ?? 0}
            shown={calls.data?.data.length ?? 0}
            nextCursor={calls.data?.next_cursor}
            onNext={pager.next}
            onPrevious={pager.previous}
          />
        </QueryState>
      </Panel>
    </div>
  );
}

function Select({ label, value, onChange, options }: { label: string; value: string; onChange: (value: string) => void; options: readonly string[] }) {
  return (
    <label className="flex flex-col gap-1 text-xs text-muted">
      {label}
      <select className="input" value={value} onChange={(event) => onChange(event.target.value)}>
        <option value="">Any</option>
        {options.map((option) => (
          <option key={option} value={option}>
            {humanize(option)}
          </option>
        ))}
      </select>
    </label>
  );
}
