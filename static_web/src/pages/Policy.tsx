import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useMemo, useState, type FormEvent } from "react";
import { api } from "../api/client";
import { Field, FormError, invalid, useFormErrors } from "../components/forms";
import { Button, PageHeader, Panel, QueryState, Table, td, th } from "../components/ui";
import { dateTime } from "../lib/format";
import type { NegotiationPolicyPublic } from "../types";
import { toDraft, toRules, validateRules, type RulesDraft } from "./policyRules";

const FIELDS = ["rules"] as const;

export default function Policy() {
  const queryClient = useQueryClient();
  const policy = useQuery({ queryKey: ["negotiation-policy"], queryFn: () => api.get<NegotiationPolicyPublic>("/negotiation-policy") });
  const [draft, setDraft] = useState<RulesDraft | null>(null);
  const [touched, setTouched] = useState(false);
  const server = useFormErrors(FIELDS);
  const [loadedId, setLoadedId] = useState<string | null>(null);
  if (policy.data && policy.data.id !== loadedId) {
    setLoadedId(policy.data.id);
    setDraft(toDraft(policy.data.rules));
  }
  const local = useMemo(() => (draft ? validateRules(draft) : {}), [draft]);
  const message = (field: string) => (touched ? local[field] : undefined) ?? server.of(field);

  const save = useMutation({
    mutationFn: (rules: ReturnType<typeof toRules>) => api.put<NegotiationPolicyPublic>("/negotiation-policy", { rules }),
    onSuccess: (saved) => {
      server.clear();
      setTouched(false);
      queryClient.setQueryData(["negotiation-policy"], saved);
    },
    onError: server.fail,
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    setTouched(true);
    if (!draft || Object.keys(validateRules(draft)).length) return;
    save.mutate(toRules(draft));
  }
  const update = (change: Partial<RulesDraft>) => {
    setTouched(true);
    setDraft((d) => (d ? { ...d, ...change } : d));
  };
  const num = (id: string, field: keyof RulesDraft, label: string, hint?: string) =>
    draft && (
      <Field label={label} htmlFor={id} hint={hint} error={message(`rules.${field}`)}>
        <input id={id} inputMode="decimal" className="input" value={draft[field] as string} onChange={(e) => update({ [field]: e.target.value })} {...invalid(id, message(`rules.${field}`))} />
      </Field>
    );

  return (
    <div>
      <PageHeader
        title="Negotiation policy"
        subtitle={policy.data ? `Version ${policy.data.version}, since ${dateTime(policy.data.created_at)} · the agent can only offer what this allows` : undefined}
      />
      <QueryState isPending={policy.isPending} error={policy.error} refetch={policy.refetch}>
        {draft && (
          <form onSubmit={submit} noValidate className="grid gap-6 xl:grid-cols-2">
            <Panel title="Settlements">
              <label className="mb-4 flex items-center gap-2 text-sm">
                <input type="checkbox" checked={draft.allow_settlement} onChange={(e) => update({ allow_settlement: e.target.checked })} />
                Allow lump-sum settlements below the balance
              </label>
              <Table label="Settlement floors">
                <thead>
                  <tr>
                    <th className={th}>From days past due</th>
                    <th className={th}>Lowest settlement (% of balance)</th>
                    <th className={th} />
                  </tr>
                </thead>
                <tbody>
                  {draft.settlement_floors.map((floor, index) => (
                    <tr key={index}>
                      <td className={td}>
                        <input aria-label={`Floor ${index + 1} days past due`} className="input" value={floor.min_days_past_due} onChange={(e) => update({ settlement_floors: draft.settlement_floors.map((f, i) => (i === index ? { ...f, min_days_past_due: e.target.value } : f)) })} {...invalid(`floor-days-${index}`, message(`rules.settlement_floors.${index}.min_days_past_due`))} />
                        {message(`rules.settlement_floors.${index}.min_days_past_due`) && <p id={`floor-days-${index}-error`} className="mt-1 text-xs text-danger">{message(`rules.settlement_floors.${index}.min_days_past_due`)}</p>}
                      </td>
                      <td className={td}>
                        <input aria-label={`Floor ${index + 1} percent`} className="input" value={floor.floor_pct} onChange={(e) => update({ settlement_floors: draft.settlement_floors.map((f, i) => (i === index ? { ...f, floor_pct: e.target.value } : f)) })} {...invalid(`floor-pct-${index}`, message(`rules.settlement_floors.${index}.floor_pct`))} />
                        {message(`rules.settlement_floors.${index}.floor_pct`) && <p id={`floor-pct-${index}-error`} className="mt-1 text-xs text-danger">{message(`rules.settlement_floors.${index}.floor_pct`)}</p>}
                      </td>
                      <td className={td}>
                        <Button variant="ghost" aria-label={`Remove floor ${index + 1}`} onClick={() => update({ settlement_floors: draft.settlement_floors.filter((_, i) => i !== index) })}>✕</Button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </Table>
              {message("rules.settlement_floors") && <p role="alert" className="mt-2 text-xs text-danger">{message("rules.settlement_floors")}</p>}
              <Button variant="ghost" className="mt-2" onClick={() => update({ settlement_floors: [...draft.settlement_floors, { min_days_past_due: "", floor_pct: "" }] })}>+ Add floor</Button>
            </Panel>
            <Panel title="Payment plans">
              <div className="grid gap-4 md:grid-cols-2">
                {num("r-down", "min_down_payment_pct", "Minimum down payment (%)")}
                {num("r-inst", "max_installments", "Maximum installments")}
                {num("r-min", "min_installment_amount", "Minimum installment ($)")}
                {num("r-first", "max_days_to_first_payment", "Days to first payment (max)")}
              </div>
              <div className="mt-6 border-t border-border pt-4">
                <label className="flex items-center gap-2 text-sm">
                  <input
                    type="checkbox"
                    checked={draft.hardship !== null}
                    onChange={(e) => update({ hardship: e.target.checked ? { max_installments: "24", min_installment_amount: "15.00", max_days_to_first_payment: "45" } : null })}
                  />
                  Gentler terms for customers in hardship
                </label>
                {draft.hardship && (
                  <div className="mt-3 grid gap-4 md:grid-cols-3">
                    {(["max_installments", "min_installment_amount", "max_days_to_first_payment"] as const).map((field) => (
                      <Field key={field} label={{ max_installments: "Max installments", min_installment_amount: "Min installment ($)", max_days_to_first_payment: "Days to first payment" }[field]} htmlFor={`h-${field}`} error={message(`rules.hardship.${field}`)}>
                        <input id={`h-${field}`} className="input" value={draft.hardship?.[field] ?? ""} onChange={(e) => update({ hardship: { ...draft.hardship!, [field]: e.target.value } })} {...invalid(`h-${field}`, message(`rules.hardship.${field}`))} />
                      </Field>
                    ))}
                  </div>
                )}
              </div>
            </Panel>
            <div className="flex items-center gap-3 xl:col-span-2">
              <Button type="submit" variant="primary" busy={save.isPending}>Save new version</Button>
              <Button variant="ghost" onClick={() => { if (policy.data) { setDraft(toDraft(policy.data.rules)); setTouched(false); server.clear(); } }}>Discard changes</Button>
              {save.isSuccess && !touched && <span className="text-sm text-success">Saved as version {save.data.version}.</span>}
              {touched && Object.keys(local).length > 0 && <span className="text-sm text-danger">{Object.keys(local).length} value(s) to fix before saving.</span>}
            </div>
            <div className="xl:col-span-2"><FormError message={server.errors.form} /></div>
          </form>
        )}
      </QueryState>
    </div>
  );
}
