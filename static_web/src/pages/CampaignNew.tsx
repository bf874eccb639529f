import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Link, useNavigate } from "react-router";
import { api, rowsOf } from "../api/client";
import { CustomerPicker } from "../components/CustomerPicker";
import { Field, FormError, invalid, useFormErrors } from "../components/forms";
import { Button, PageHeader, Panel } from "../components/ui";
import { humanize } from "../lib/format";
import type { CampaignCreate, CampaignPublic, CustomerPublic, Page, TacticPublic, TacticShare } from "../types";

const SEGMENTS = ["early_stage", "mid_stage", "late_stage", "recovery"];
const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const FIELDS = ["name", "description", "targeting", "schedule", "tactics", "max_concurrent_calls", "max_attempts_per_target"] as const;

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
  const [picked, setPicked] = useState<CustomerPublic[]>([]);
  const [cron, setCron] = useState("");
  const [startDate, setStartDate] = useState("");
  const [endDate, setEndDate] = useState("");
  const [weekdays, setWeekdays] = useState<number[]>([0, 1, 2, 3, 4, 5, 6]);
  const [maxAttempts, setMaxAttempts] = useState("3");
  const [concurrency, setConcurrency] = useState("5");
  const [split, setSplit] = useState<Required<TacticShare>[]>([]);
  const errors = useFormErrors(FIELDS);

  const tacticList = rowsOf(tactics.data).filter((tactic) => tactic.is_active);
  const weightTotal = split.reduce((sum, share) => sum + (Number(share.weight) || 0), 0);

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
      description,
      targeting: {
        segments,
        days_past_due_min: numberOrNull(minDpd),
        days_past_due_max: numberOrNull(maxDpd),
        balance_min: minBalance.trim() ? minBalance : null,
        states: states.split(/[\s,]+/).filter(Boolean).map((s) => s.toUpperCase()),
        customer_ids: picked.map((customer) => customer.id),
      },
      schedule: { cron: cron.trim() || null, start_date: startDate || null, end_date: endDate || null, weekdays },
      tactics: split,
      max_attempts_per_target: Number(maxAttempts),
      max_concurrent_calls: Number(concurrency),
    });
  }

  function setShare(index: number, change: Partial<TacticShare>) {
    setSplit((current) => current.map((share, i) => (i === index ? { ...share, ...change } : share)));
  }
  function addShare() {
    const unused = tacticList.find((tactic) => !split.some((share) => share.tactic_name === tactic.name));
    if (unused) setSplit((s) => [...s, { tactic_name: unused.name, weight: 1 }]);
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
            <div className="grid grid-cols-2 gap-3">
              <Field label="Attempts per account" htmlFor="c-attempts" error={errors.of("max_attempts_per_target")}>
                <input id="c-attempts" type="number" min={1} max={20} className="input" value={maxAttempts} onChange={(e) => setMaxAttempts(e.target.value)} {...invalid("c-attempts", errors.of("max_attempts_per_target"))} />
              </Field>
              <Field label="Concurrent calls" htmlFor="c-conc" error={errors.of("max_concurrent_calls")}>
                <input id="c-conc" type="number" min={1} max={500} className="input" value={concurrency} onChange={(e) => setConcurrency(e.target.value)} {...invalid("c-conc", errors.of("max_concurrent_calls"))} />
              </Field>
            </div>
          </div>
        </Panel>
        <Panel title="Targeting">
          <div className="flex flex-col gap-4">
            <fieldset>
              <legend className="mb-1.5 text-sm font-medium">Segments <span className="font-normal text-muted">(none selected: all)</span></legend>
              <div className="flex flex-wrap gap-2">
                {SEGMENTS.map((segment) => (
                  <label key={segment} className={`cursor-pointer rounded-full border px-3 py-1 text-sm ${segments.includes(segment) ? "border-accent text-accent-text" : "border-border text-muted"}`}>
                    <input type="checkbox" className="sr-only" checked={segments.includes(segment)} onChange={(e) => setSegments((s) => (e.target.checked ? [...s, segment] : s.filter((x) => x !== segment)))} />
                    {humanize(segment)}
                  </label>
                ))}
              </div>
            </fieldset>
            <div className="grid grid-cols-3 gap-3">
              <Field label="Min days past due" htmlFor="c-mindpd" error={errors.of("targeting.days_past_due_min")}>
                <input id="c-mindpd" type="number" min={0} className="input" value={minDpd} onChange={(e) => setMinDpd(e.target.value)} />
              </Field>
              <Field label="Max days past due" htmlFor="c-maxdpd" error={errors.of("targeting.days_past_due_max")}>
                <input id="c-maxdpd" type="number" min={0} className="input" value={maxDpd} onChange={(e) => setMaxDpd(e.target.value)} />
              </Field>
              <Field label="Min balance ($)" htmlFor="c-minbal" error={errors.of("targeting.balance_min")}>
                <input id="c-minbal" type="number" min={0} step="0.01" className="input" value={minBalance} onChange={(e) => setMinBalance(e.target.value)} />
              </Field>
            </div>
            <Field label="States" htmlFor="c-states" hint="Two-letter codes, e.g. AZ, TX. Empty: all." error={errors.of("targeting.states")}>
              <input id="c-states" className="input" value={states} onChange={(e) => setStates(e.target.value)} {...invalid("c-states", errors.of("targeting.states"))} />
            </Field>
            <fieldset>
              <legend className="mb-1.5 text-sm font-medium">Only these customers <span className="font-normal text-muted">(optional)</span></legend>
              {picked.length > 0 && (
                <ul className="mb-2 flex flex-wrap gap-1.5" aria-label="Chosen customers">
                  {picked.map((customer) => (
                    <li key={customer.id} className="flex items-center gap-1 rounded-full border border-accent/60 px-2.5 py-0.5 text-sm">
                      {customer.name}
                      <button type="button" aria-label={`Remove ${customer.name}`} className="text-muted hover:text-text" onClick={() => setPicked((list) => list.filter((c) => c.id !== customer.id))}>
                        ✕
                      </button>
                    </li>
                  ))}
                </ul>
              )}
              <CustomerPicker id="c-customers" value={null} onChange={(customer) => customer && setPicked((list) => (list.some((c) => c.id === customer.id) ? list : [...list, customer]))} />
              {errors.of("targeting.customer_ids") && <p role="alert" className="mt-1 text-xs text-danger">{errors.of("targeting.customer_ids")}</p>}
            </fieldset>
            {errors.errors.fields["targeting"] && <p role="alert" className="text-xs text-danger">{errors.errors.fields["targeting"]}</p>}
          </div>
        </Panel>
        <Panel title="Schedule">
          <div className="grid gap-3 md:grid-cols-3">
            <Field label="Repeat (cron)" htmlFor="c-cron" hint="e.g. 0 9 * * 1-5 — empty: start by hand" error={errors.of("schedule.cron")}>
              <input id="c-cron" className="input font-mono" value={cron} onChange={(e) => setCron(e.target.value)} {...invalid("c-cron", errors.of("schedule.cron"))} />
            </Field>
            <Field label="From" htmlFor="c-start" error={errors.of("schedule.start_date")}>
              <input id="c-start" type="date" className="input" value={startDate} onChange={(e) => setStartDate(e.target.value)} />
            </Field>
            <Field label="Until" htmlFor="c-end" error={errors.of("schedule.end_date") ?? errors.errors.fields["schedule"]}>
              <input id="c-end" type="date" className="input" value={endDate} onChange={(e) => setEndDate(e.target.value)} />
            </Field>
          </div>
          <fieldset className="mt-4">
            <legend className="mb-1.5 text-sm font-medium">Calling days</legend>
            <div className="flex flex-wrap gap-1.5">
              {WEEKDAYS.map((day, index) => (
                <label key={day} className={`cursor-pointer rounded-md border px-2.5 py-1 text-sm ${weekdays.includes(index) ? "border-accent text-accent-text" : "border-border text-muted"}`}>
                  <input type="checkbox" className="sr-only" checked={weekdays.includes(index)} onChange={(e) => setWeekdays((w) => (e.target.checked ? [...w, index].sort() : w.filter((d) => d !== index)))} />
                  {day}
                </label>
              ))}
            </div>
            {errors.of("schedule.weekdays") && <p role="alert" className="mt-1 text-xs text-danger">{errors.of("schedule.weekdays")}</p>}
          </fieldset>
          <p className="mt-3 text-xs text-muted">Calls are placed only inside each customer's legal calling window and the Regulation F limits: the compliance engine decides, per call.</p>
        </Panel>
        <Panel title="Tactic A/B split" actions={<Button variant="ghost" disabled={split.length >= tacticList.length} onClick={addShare}>+ Add tactic</Button>}>
          {split.length === 0 ? (
            <p className="text-sm text-muted">Add one tactic, or several with weights to compare them.</p>
          ) : (
            <div className="flex flex-col gap-2">
              {split.map((share, index) => (
                <div key={index} className="flex items-center gap-2">
                  <select aria-label={`Tactic ${index + 1}`} className="input" value={share.tactic_name} onChange={(e) => setShare(index, { tactic_name: e.target.value })}>
                    {tacticList.map((tactic) => <option key={tactic.id} value={tactic.name}>{humanize(tactic.name)} ({tactic.archetype})</option>)}
                  </select>
                  <input aria-label={`Weight ${index + 1}`} type="number" min={1} max={1000} className="input w-24" value={share.weight} onChange={(e) => setShare(index, { weight: Number(e.target.value) })} />
                  <span className="w-12 text-right text-sm text-muted tabular-nums">{weightTotal ? Math.round((share.weight / weightTotal) * 100) : 0}%</span>
                  <Button variant="ghost" aria-label={`Remove tactic ${index + 1}`} onClick={() => setSplit((s) => s.filter((_, i) => i !== index))}>✕</Button>
                </div>
              ))}
            </div>
          )}
          {errors.of("tactics") && <p className="mt-2 text-xs text-danger" role="alert">{errors.of("tactics")}</p>}
        </Panel>
        <div className="flex items-center gap-3 xl:col-span-2">
          <Button type="submit" variant="primary" busy={create.isPending}>Create campaign</Button>
          <FormError message={errors.errors.form} />
        </div>
      </form>
    </div>
  );
}
