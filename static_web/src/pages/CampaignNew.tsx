import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Link, useNavigate } from "react-router";
import { api, rowsOf } from "../api/client";
import { Field, FormError, invalid, useFormErrors } from "../components/forms";
import { Button, PageHeader, Panel } from "../components/ui";
import { humanize } from "../lib/format";
import type { CampaignCreate, CampaignPublic, Page, TacticPublic, TacticShare } from "../types";

const SEGMENTS = ["early_stage", "mid_stage", "late_stage", "charged_off"];
const FIELDS = ["name", "description", "targeting", "schedule", "tactic_split", "simulated"] as const;

function numberOrNull(value: string): number | null {
  return value.trim() === "" ? null : Number(value);
}

export default function CampaignNew() {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const tactics = useQuery({ queryKey: ["tactics"], queryFn: () => api.get<Page<TacticPublic> | TacticPublic[]>("/tactics") });
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [segments, setSegments] = useState<string[]>([]);
  const [minDpd, setMinDpd] = useState("");
  const [maxDpd, setMaxDpd] = useState("");
  const [minBalance, setMinBalance] = useState("");
  const [states, setStates] = useState("");
  const [limit, setLimit] = useState("50");
  const [startAt, setStartAt] = useState("");
  const [maxAttempts, setMaxAttempts] = useState("3");
  const [concurrency, setConcurrency] = useState("5");
  const [simulated, setSimulated] = useState(true);
  const [split, setSplit] = useState<TacticShare[]>([]);
  const errors = useFormErrors(FIELDS);

  const tacticList = rowsOf(tactics.data).filter((tactic) => tactic.is_active);
  const splitTotal = split.reduce((sum, share) => sum + (Number(share.weight) || 0), 0);

  const create = useMutation({
    mutationFn: (body: CampaignCreate) => api.post<CampaignPublic>("/campaigns", body),
    onSuccess: (campaign) => {
      void queryClient.invalidateQueries({ queryKey: ["campaigns"] });
      void navigate(`/campaigns/${campaign.id}`);
    },
    onError: errors.fail,
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    errors.clear();
    create.mutate({
      name,
      description: description || undefined,
      targeting: {
        segments: segments.length ? segments : undefined,
        min_days_past_due: numberOrNull(minDpd),
        max_days_past_due: numberOrNull(maxDpd),
        min_balance: minBalance.trim() ? minBalance : null,
        states: states.trim() ? states.split(/[\s,]+/).filter(Boolean).map((s) => s.toUpperCase()) : undefined,
        limit: numberOrNull(limit),
      },
      schedule: {
        start_at: startAt ? new Date(startAt).toISOString() : null,
        max_attempts_per_target: Number(maxAttempts) || 1,
        max_concurrent_calls: Number(concurrency) || 1,
      },
      tactic_split: split,
      simulated,
    });
  }

  function setShare(index: number, change: Partial<TacticShare>) {
    setSplit((current) => current.map((share, i) => (i === index ? { ...share, ...change } : share)));
  }

  return (
    <div>
      <PageHeader title="New campaign" actions={<Link to="/campaigns" className="text-sm text-accent-text hover:underline">← Campaigns</Link>} />
      <form onSubmit={submit} noValidate className="grid gap-6 xl:grid-cols-2">
        <Panel title="Campaign">
          <div className="flex flex-col gap-4">
            <Field label="Name" htmlFor="c-name" error={errors.of("name")}>
              <input id="c-name" className="input" value={name} onChange={(e) => setName(e.target.value)} {...invalid("c-name", errors.of("name"))} />
            </Field>
            <Field label="Description" htmlFor="c-desc" error={errors.of("description")}>
              <textarea id="c-desc" className="input" rows={2} value={description} onChange={(e) => setDescription(e.target.value)} />
            </Field>
            <label className="flex items-center gap-2 text-sm">
              <input type="checkbox" checked={simulated} onChange={(e) => setSimulated(e.target.checked)} />
              Simulated customers (no real phone calls: the agent talks to simulated personas)
            </label>
          </div>
        </Panel>
        <Panel title="Targeting">
          <div className="flex flex-col gap-4">
            <fieldset>
              <legend className="mb-1.5 text-sm font-medium">Segments</legend>
              <div className="flex flex-wrap gap-2">
                {SEGMENTS.map((segment) => (
                  <label key={segment} className={`cursor-pointer rounded-full border px-3 py-1 text-sm ${segments.includes(segment) ? "border-accent text-accent-text" : "border-border text-muted"}`}>
                    <input
                      type="checkbox"
                      className="sr-only"
                      checked={segments.includes(segment)}
                      onChange={(e) => setSegments((s) => (e.target.checked ? [...s, segment] : s.filter((x) => x !== segment)))}
                    />
                    {humanize(segment)}
                  </label>
                ))}
              </div>
              {errors.of("targeting.segments") && <p className="mt-1 text-xs text-danger">{errors.of("targeting.segments")}</p>}
            </fieldset>
            <div className="grid grid-cols-2 gap-3">
              <Field label="Min days past due" htmlFor="c-mindpd" error={errors.of("targeting.min_days_past_due")}>
                <input id="c-mindpd" type="number" min={0} className="input" value={minDpd} onChange={(e) => setMinDpd(e.target.value)} />
              </Field>
              <Field label="Max days past due" htmlFor="c-maxdpd" error={errors.of("targeting.max_days_past_due")}>
                <input id="c-maxdpd" type="number" min={0} className="input" value={maxDpd} onChange={(e) => setMaxDpd(e.target.value)} />
              </Field>
              <Field label="Min balance ($)" htmlFor="c-minbal" error={errors.of("targeting.min_balance")}>
                <input id="c-minbal" type="number" min={0} step="0.01" className="input" value={minBalance} onChange={(e) => setMinBalance(e.target.value)} />
              </Field>
              <Field label="At most (customers)" htmlFor="c-limit" error={errors.of("targeting.limit")}>
                <input id="c-limit" type="number" min={1} className="input" value={limit} onChange={(e) => setLimit(e.target.value)} {...invalid("c-limit", errors.of("targeting.limit"))} />
              </Field>
            </div>
            <Field label="States" htmlFor="c-states" hint="Two-letter codes, e.g. AZ, TX. Empty: all." error={errors.of("targeting.states")}>
              <input id="c-states" className="input" value={states} onChange={(e) => setStates(e.target.value)} />
            </Field>
            {errors.of("targeting") && !Object.keys(errors.errors.fields).some((f) => f.startsWith("targeting.")) && (
              <p className="text-xs text-danger">{errors.of("targeting")}</p>
            )}
          </div>
        </Panel>
        <Panel title="Schedule">
          <div className="grid grid-cols-3 gap-3">
            <Field label="Start" htmlFor="c-start" hint="Empty: when started" error={errors.of("schedule.start_at")}>
              <input id="c-start" type="datetime-local" className="input" value={startAt} onChange={(e) => setStartAt(e.target.value)} />
            </Field>
            <Field label="Attempts per customer" htmlFor="c-attempts" error={errors.of("schedule.max_attempts_per_target")}>
              <input id="c-attempts" type="number" min={1} max={7} className="input" value={maxAttempts} onChange={(e) => setMaxAttempts(e.target.value)} />
            </Field>
            <Field label="Concurrent calls" htmlFor="c-conc" error={errors.of("schedule.max_concurrent_calls")}>
              <input id="c-conc" type="number" min={1} className="input" value={concurrency} onChange={(e) => setConcurrency(e.target.value)} />
            </Field>
          </div>
          <p className="mt-3 text-xs text-muted">Calls are placed only inside each customer's legal calling window and the 7-in-7 limits; the compliance engine decides.</p>
        </Panel>
        <Panel
          title="Tactic A/B split"
          actions={
            <Button
              variant="ghost"
              disabled={tacticList.length === 0}
              onClick={() => setSplit((s) => [...s, { tactic_name: tacticList[s.length % Math.max(1, tacticList.length)]?.name ?? "", weight: 0 }])}
            >
              + Add tactic
            </Button>
          }
        >
          {split.length === 0 ? (
            <p className="text-sm text-muted">No split: each customer gets the tactic assigned to their segment.</p>
          ) : (
            <div className="flex flex-col gap-2">
              {split.map((share, index) => (
                <div key={index} className="flex items-center gap-2">
                  <select aria-label={`Tactic ${index + 1}`} className="input" value={share.tactic_name} onChange={(e) => setShare(index, { tactic_name: e.target.value })}>
                    {tacticList.map((tactic) => <option key={tactic.id} value={tactic.name}>{humanize(tactic.name)} ({tactic.archetype})</option>)}
                  </select>
                  <input aria-label={`Weight ${index + 1}`} type="number" min={0} max={100} className="input w-24" value={share.weight} onChange={(e) => setShare(index, { weight: Number(e.target.value) })} />
                  <span className="text-muted">%</span>
                  <Button variant="ghost" aria-label={`Remove tactic ${index + 1}`} onClick={() => setSplit((s) => s.filter((_, i) => i !== index))}>✕</Button>
                </div>
              ))}
              <p className={`text-xs ${splitTotal === 100 ? "text-muted" : "text-warning"}`}>Total {splitTotal}% {splitTotal !== 100 && "(should be 100%)"}</p>
            </div>
          )}
          {errors.of("tactic_split") && <p className="mt-2 text-xs text-danger" role="alert">{errors.of("tactic_split")}</p>}
        </Panel>
        <div className="flex items-center gap-3 xl:col-span-2">
          <Button type="submit" variant="primary" busy={create.isPending}>
            Create campaign
          </Button>
          <FormError message={errors.errors.form} />
        </div>
      </form>
    </div>
  );
}
