import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useMemo, useRef } from "react";
import { Link } from "react-router";
import { api } from "../api/client";
import { groupOf, StackedBars, type BarRow } from "../components/Charts";
import { Badge, ErrorState, KpiCard, LoadingState, OutcomeBadge, PageHeader, Panel } from "../components/ui";
import { humanize, isoDay, money, percent, time } from "../lib/format";
import type { LiveCall } from "../live/liveCalls";
import { useLiveEvents } from "../live/LiveProvider";
import { useLiveCalls } from "../live/useLiveCalls";
import type { AnalyticsSummary, CallPublic, LiveEvent, Page, TacticPublic } from "../types";

const DAYS = 7;
const MAX_CALLS = 1000;

async function recentCalls(from: string): Promise<CallPublic[]> {
  const calls: CallPublic[] = [];
  let cursor: string | null = null;
  do {
    const page: Page<CallPublic> = await api.get<Page<CallPublic>>("/calls", { started_from: from, limit: 200, cursor });
    calls.push(...page.data);
    cursor = page.next_cursor;
  } while (cursor && calls.length < MAX_CALLS);
  return calls;
}

const RESOLVED = new Set(["payment", "promise_to_pay", "payment_plan"]);

export default function Dashboard() {
  const queryClient = useQueryClient();
  const from = useMemo(() => {
    const start = new Date();
    start.setHours(0, 0, 0, 0);
    start.setDate(start.getDate() - (DAYS - 1));
    return start;
  }, []);
  const calls = useQuery({ queryKey: ["calls", "recent", from.toISOString()], queryFn: () => recentCalls(from.toISOString()) });
  const tactics = useQuery({ queryKey: ["tactics"], queryFn: () => api.get<Page<TacticPublic> | TacticPublic[]>("/tactics") });
  const summary = useQuery({
    queryKey: ["analytics", "summary", from.toISOString()],
    queryFn: () => api.get<AnalyticsSummary>("/analytics/summary", { from: from.toISOString(), group_by: "day" }),
    retry: false,
  });

  // A finished call changes the numbers: refetch them, at most every couple of seconds.
  const pending = useRef<number | null>(null);
  useLiveEvents(
    useCallback(
      (event: LiveEvent) => {
        if (event.type !== "call.ended" || pending.current !== null) return;
        pending.current = window.setTimeout(() => {
          pending.current = null;
          void queryClient.invalidateQueries({ queryKey: ["calls", "recent"] });
          void queryClient.invalidateQueries({ queryKey: ["analytics"] });
        }, 1500);
      },
      [queryClient],
    ),
  );
  useEffect(() => () => void (pending.current !== null && window.clearTimeout(pending.current)), []);

  const live = useLiveCalls();
  const tacticNames = useMemo(() => {
    const list = Array.isArray(tactics.data) ? tactics.data : (tactics.data?.data ?? []);
    return new Map(list.map((tactic) => [tactic.id, tactic.name]));
  }, [tactics.data]);

  const stats = useMemo(() => computeStats(calls.data ?? [], from, tacticNames), [calls.data, from, tacticNames]);
  const inProgress = live.filter((call) => !call.ended).length;

  return (
    <div>
      <PageHeader title="Dashboard" subtitle={`Live calls and the last ${DAYS} days`} />
      <div className="grid grid-cols-2 gap-4 lg:grid-cols-4 xl:grid-cols-6">
        <KpiCard label="Live now" value={<span data-testid="kpi-live">{inProgress}</span>} hint="calls in progress" />
        <KpiCard label="Calls" value={calls.data ? stats.total : "…"} hint={`last ${DAYS} days`} />
        <KpiCard label="Connect rate" value={calls.data ? percent(stats.connectRate) : "…"} hint="answered / placed" />
        <KpiCard label="Right-party rate" value={calls.data ? percent(stats.rpcRate) : "…"} hint="verified / answered" />
        <KpiCard label="Promise rate" value={calls.data ? percent(stats.ptpRate) : "…"} hint="paid or promised / verified" />
        <KpiCard
          label="Promised"
          value={summary.data?.totals?.dollars_promised !== undefined ? money(summary.data.totals.dollars_promised, true) : "—"}
          hint={summary.data?.totals?.dollars_collected !== undefined ? `${money(summary.data.totals.dollars_collected, true)} collected` : "dollars promised"}
        />
      </div>

      <Panel
        className="mt-6"
        title={
          <span className="flex items-center gap-2">
            Live calls <Badge tone={inProgress ? "accent" : "neutral"}>{inProgress}</Badge>
          </span>
        }
      >
        {live.length === 0 ? (
          <p className="py-8 text-center text-muted" data-testid="live-empty">
            No calls right now. Calls appear here the moment they start, with their transcript as it is spoken.
          </p>
        ) : (
          <div className="grid gap-4 lg:grid-cols-2 2xl:grid-cols-3" data-testid="live-calls">
            {live.map((call) => (
              <LiveCallCard key={call.id} call={call} />
            ))}
          </div>
        )}
      </Panel>

      <div className="mt-6 grid gap-6 xl:grid-cols-2">
        <Panel title="Outcomes by day">
          {calls.isPending ? <LoadingState /> : calls.error ? <ErrorState error={calls.error} onRetry={() => void calls.refetch()} /> : <StackedBars title="Outcomes by day" rows={stats.byDay} />}
        </Panel>
        <Panel title="Outcomes by tactic">
          {calls.isPending ? <LoadingState /> : calls.error ? <ErrorState error={calls.error} onRetry={() => void calls.refetch()} /> : <StackedBars title="Outcomes by tactic" rows={stats.byTactic} />}
        </Panel>
      </div>
    </div>
  );
}

function LiveCallCard({ call }: { call: LiveCall }) {
  const scroller = useRef<HTMLOListElement>(null);
  useEffect(() => {
    scroller.current?.scrollTo({ top: scroller.current.scrollHeight });
  }, [call.lines.length]);
  const lastTool = call.tools[call.tools.length - 1];
  return (
    <article className={`rounded-xl border bg-raised p-4 ${call.ended ? "border-border opacity-75" : "border-accent/50 glow"}`} data-testid="live-call" data-call-id={call.id}>
      <header className="flex items-start justify-between gap-2">
        <div className="min-w-0">
          <Link to={`/calls/${call.id}`} className="block truncate font-medium hover:text-accent-text">
            {call.customerName ?? "Unknown caller"}
          </Link>
          <div className="text-xs text-muted">
            {humanize(call.direction)} · started {time(call.startedAt)}
            {call.campaignId && (
              <>
                {" · "}
                <Link to={`/campaigns/${call.campaignId}`} className="underline">
                  campaign
                </Link>
              </>
            )}
          </div>
        </div>
        {call.ended ? (
          <OutcomeBadge outcome={call.ended.outcome} />
        ) : (
          <Badge tone="accent">
            <span className="live-dot h-1.5 w-1.5 rounded-full bg-accent" aria-hidden="true" /> Live
          </Badge>
        )}
      </header>
      <ol ref={scroller} className="mt-3 flex max-h-56 flex-col gap-1.5 overflow-y-auto pr-1 text-sm" aria-live="polite">
        {call.lines.length === 0 && <li className="text-muted">Connecting…</li>}
        {call.lines.map((line) => (
          <li key={line.sequence} data-live-at={line.at} className={line.speaker === "agent" ? "text-text" : "text-accent-text"}>
            <span className="mr-1.5 text-xs font-semibold tracking-wide text-muted uppercase">{line.speaker === "agent" ? "Agent" : line.speaker === "customer" ? "Customer" : humanize(line.speaker)}</span>
            {line.text}
          </li>
        ))}
      </ol>
      {lastTool && (
        <div className="mt-3 truncate border-t border-border pt-2 font-mono text-xs text-muted" title={JSON.stringify(lastTool.result)}>
          ⚙ {lastTool.name}
        </div>
      )}
    </article>
  );
}

interface Stats {
  total: number;
  connectRate: number | null;
  rpcRate: number | null;
  ptpRate: number | null;
  byDay: BarRow[];
  byTactic: BarRow[];
}

export function computeStats(calls: CallPublic[], from: Date, tacticNames: Map<string, string>): Stats {
  const answered = calls.filter((call) => call.answered_at || call.status === "completed");
  const verified = calls.filter((call) => call.verified);
  const resolved = calls.filter((call) => call.outcome && RESOLVED.has(call.outcome));
  const days: BarRow[] = [];
  for (let i = 0; i < DAYS; i++) {
    const day = new Date(from);
    day.setDate(from.getDate() + i);
    days.push({ label: day.toLocaleDateString(undefined, { weekday: "short", day: "numeric" }), counts: {} });
  }
  const dayIndex = new Map(days.map((_, i) => {
    const day = new Date(from);
    day.setDate(from.getDate() + i);
    return [isoDay(day), i] as const;
  }));
  const tactics = new Map<string, BarRow>();
  for (const call of calls) {
    if (!call.outcome) continue;
    const group = groupOf(call.outcome);
    const row = days[dayIndex.get(isoDay(new Date(call.start_time))) ?? -1];
    if (row) row.counts[group] = (row.counts[group] ?? 0) + 1;
    const tacticKey = call.behavioral_tactic_id ?? "none";
    const label = call.behavioral_tactic_id ? (tacticNames.get(call.behavioral_tactic_id) ?? "earlier version") : "no tactic";
    const tacticRow = tactics.get(tacticKey) ?? { label: humanize(label), counts: {} };
    tacticRow.counts[group] = (tacticRow.counts[group] ?? 0) + 1;
    tactics.set(tacticKey, tacticRow);
  }
  const ratio = (a: number, b: number) => (b ? a / b : null);
  return {
    total: calls.length,
    connectRate: ratio(answered.length, calls.length),
    rpcRate: ratio(verified.length, answered.length),
    ptpRate: ratio(resolved.length, verified.length),
    byDay: days,
    byTactic: [...tactics.values()].sort((a, b) => total(b) - total(a)).slice(0, 10),
  };
}

function total(row: BarRow): number {
  return Object.values(row.counts).reduce((sum, n) => sum + n, 0);
}
