import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { api, errorMessage, rowsOf } from "../api/client";
import { ConfirmButton } from "../components/ConfirmDialog";
import { Field, FormError, invalid, useFormErrors } from "../components/forms";
import { Badge, Button, EmptyState, OutcomeBadge, PageHeader, Panel, QueryState, StatusBadge, Table, td, th } from "../components/ui";
import { dateTime, duration, humanize, money } from "../lib/format";
import type { CallPublic, ComplianceCheck, ContactPreferencePublic, CustomerDetail as CustomerDetailModel, Page, PreferenceKind } from "../types";

const KINDS: PreferenceKind[] = [
  "cease_contact", "dispute", "validation_request", "attorney", "bankruptcy", "deceased", "inconvenient_time",
  "phone_consent", "do_not_call_number",
];
/** Kinds that concern one number of the customer's rather than the customer. */
const NUMBER_KINDS: PreferenceKind[] = ["phone_consent", "do_not_call_number"];

export default function CustomerDetail() {
  const { customerId = "" } = useParams();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const customer = useQuery({ queryKey: ["customers", "detail", customerId], queryFn: () => api.get<CustomerDetailModel>(`/customers/${customerId}`) });
  const preferences = useQuery({
    queryKey: ["customers", customerId, "preferences"],
    queryFn: () => api.get<Page<ContactPreferencePublic> | ContactPreferencePublic[]>(`/customers/${customerId}/contact-preferences`),
  });
  const calls = useQuery({
    queryKey: ["customers", customerId, "calls"],
    queryFn: () => api.get<Page<CallPublic> | CallPublic[]>(`/customers/${customerId}/calls`),
  });
  const compliance = useQuery({
    queryKey: ["compliance", customerId],
    queryFn: () => api.get<ComplianceCheck>("/compliance/check", { customer_id: customerId }),
    retry: false,
  });
  const remove = useMutation({
    mutationFn: () => api.delete(`/customers/${customerId}`),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ["customers"] });
      void navigate("/customers");
    },
  });
  const endPreference = useMutation({
    mutationFn: (id: string) => api.post(`/contact-preferences/${id}/end`),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ["customers", customerId] }),
  });

  const data = customer.data;
  return (
    <div>
      <PageHeader
        title={data?.name ?? "Customer"}
        subtitle={data ? `${data.external_ref} · ${humanize(data.segment)} · ${[data.city, data.state].filter(Boolean).join(", ")} ${data.postal_code}` : undefined}
        actions={
          <>
            <Link to={`/test-call?customer=${customerId}`} className="rounded-lg border border-border px-3.5 py-2 text-sm hover:border-accent">
              Test call as this customer
            </Link>
            <ConfirmButton
              label="Delete"
              title="Delete this customer?"
              message="Their accounts, phone numbers and preferences are removed. Customers with payments cannot be deleted."
              confirmLabel="Delete customer"
              onConfirm={() => remove.mutate()}
              busy={remove.isPending}
            />
          </>
        }
      />
      {remove.error && <div className="mb-4"><FormError message={errorMessage(remove.error)} /></div>}
      <QueryState isPending={customer.isPending} error={customer.error} refetch={customer.refetch}>
        {data && (
          <div className="grid gap-6 xl:grid-cols-[1fr_360px]">
            <div className="flex flex-col gap-6">
              <Panel title="Accounts">
                {data.accounts.length === 0 ? (
                  <EmptyState title="No accounts" />
                ) : (
                  <Table label="Accounts">
                    <thead>
                      <tr>
                        <th className={th}>Account</th>
                        <th className={th}>Product</th>
                        <th className={th}>Balance</th>
                        <th className={th}>Past due</th>
                        <th className={th}>Days past due</th>
                        <th className={th}>Status</th>
                      </tr>
                    </thead>
                    <tbody>
                      {data.accounts.map((account) => (
                        <tr key={account.id}>
                          <td className={`${td} font-mono text-xs`}>•••• {account.account_last_4}<div className="text-muted">{account.external_ref}</div></td>
                          <td className={td}>{humanize(account.product)}</td>
                          <td className={`${td} tabular-nums`}>{money(account.balance)}</td>
                          <td className={`${td} tabular-nums`}>{money(account.past_due_amount)}</td>
                          <td className={`${td} tabular-nums`}>{account.days_past_due}</td>
                          <td className={td}><StatusBadge status={account.status} /></td>
                        </tr>
                      ))}
                    </tbody>
                  </Table>
                )}
              </Panel>
              <Panel title="Call history">
                <QueryState
                  isPending={calls.isPending}
                  error={calls.error}
                  refetch={calls.refetch}
                  isEmpty={rowsOf(calls.data).length === 0}
                  empty={<EmptyState title="No calls with this customer yet" />}
                >
                  <Table label="Call history">
                    <thead>
                      <tr>
                        <th className={th}>When</th>
                        <th className={th}>Direction</th>
                        <th className={th}>Outcome</th>
                        <th className={th}>Duration</th>
                      </tr>
                    </thead>
                    <tbody>
                      {rowsOf(calls.data).map((call) => (
                        <tr key={call.id} className="hover:bg-raised">
                          <td className={td}><Link className="text-accent-text hover:underline" to={`/calls/${call.id}`}>{dateTime(call.start_time)}</Link></td>
                          <td className={td}>{humanize(call.direction)}</td>
                          <td className={td}><OutcomeBadge outcome={call.outcome} /></td>
                          <td className={td}>{duration(call.duration_seconds)}</td>
                        </tr>
                      ))}
                    </tbody>
                  </Table>
                </QueryState>
              </Panel>
            </div>
            <div className="flex flex-col gap-6">
              <Panel title="Contact">
                <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-2 text-sm">
                  {data.phones.map((phone) => (
                    <div key={phone.id} className="contents">
                      <dt className="text-muted">{phone.is_primary ? "Primary" : humanize(phone.label ?? phone.line_type)}</dt>
                      <dd className="font-mono text-xs">{phone.number} <span className="text-muted">({phone.line_type})</span></dd>
                    </div>
                  ))}
                  <dt className="text-muted">Email</dt>
                  <dd>{data.email ?? "—"}</dd>
                  <dt className="text-muted">Time zone</dt>
                  <dd>{data.timezone ?? "Unknown"}</dd>
                  <dt className="text-muted">Language</dt>
                  <dd>{data.language}</dd>
                </dl>
                {data.legal_hold && <div className="mt-3"><Badge tone="warning">Legal hold: no collection calls</Badge></div>}
              </Panel>
              <Panel title="Callable now?">
                {compliance.isPending ? (
                  <p className="text-sm text-muted">Checking…</p>
                ) : compliance.data ? (
                  <div className="text-sm">
                    <p className={compliance.data.allowed ? "text-success" : "text-danger"}>
                      {compliance.data.allowed ? "✓ A call is allowed now" : "✕ Not callable now"}
                    </p>
                    {compliance.data.reasons.length > 0 && <ul className="mt-2 list-disc pl-5 text-muted">{compliance.data.reasons.map((r) => <li key={r}>{r}</li>)}</ul>}
                    {compliance.data.next_allowed_at && <p className="mt-2 text-muted">Next allowed: {dateTime(compliance.data.next_allowed_at)}</p>}
                  </div>
                ) : (
                  <p className="text-sm text-muted">{errorMessage(compliance.error)}</p>
                )}
              </Panel>
              <Panel title="Contact preferences">
                <QueryState
                  isPending={preferences.isPending}
                  error={preferences.error}
                  refetch={preferences.refetch}
                  isEmpty={rowsOf(preferences.data).length === 0}
                  empty={<p className="pb-2 text-sm text-muted">No preferences recorded.</p>}
                >
                  <ul className="flex flex-col gap-2">
                    {rowsOf(preferences.data).map((preference) => (
                      <li key={preference.id} className="flex items-start justify-between gap-2 rounded-lg border border-border p-2 text-sm">
                        <div>
                          <div className="font-medium">{humanize(preference.kind)}</div>
                          <div className="text-xs text-muted">
                            since {dateTime(preference.effective_at)}
                            {preference.ended_at ? ` · ended ${dateTime(preference.ended_at)}` : ""}
                            {preference.phone_number ? ` · ${preference.phone_number}` : ""}
                          </div>
                        </div>
                        {!preference.ended_at && (
                          <ConfirmButton
                            label="End"
                            title={`End “${humanize(preference.kind)}”?`}
                            message="The preference stops applying from now on; its history is kept."
                            confirmLabel="End preference"
                            variant="secondary"
                            onConfirm={() => endPreference.mutate(preference.id)}
                          />
                        )}
                      </li>
                    ))}
                  </ul>
                </QueryState>
                {endPreference.error && <FormError message={errorMessage(endPreference.error)} />}
                <AddPreference customerId={customerId} phones={data.phones.map((p) => p.number)} />
              </Panel>
            </div>
          </div>
        )}
      </QueryState>
    </div>
  );
}

const PREFERENCE_FIELDS = ["kind", "phone_number", "details", "account_id"] as const;

function AddPreference({ customerId, phones }: { customerId: string; phones: string[] }) {
  const queryClient = useQueryClient();
  const [kind, setKind] = useState<PreferenceKind>("cease_contact");
  const [phone, setPhone] = useState(phones[0] ?? "");
  const [consent, setConsent] = useState("revoked");
  const [note, setNote] = useState("");
  const errors = useFormErrors(PREFERENCE_FIELDS);
  const add = useMutation({
    mutationFn: () =>
      api.post(`/customers/${customerId}/contact-preferences`, {
        kind,
        phone_number: NUMBER_KINDS.includes(kind) ? phone : undefined,
        details:
          kind === "phone_consent"
            ? { status: consent, note: note || undefined }
            : kind === "do_not_call_number"
              ? { reason: "operator", note: note || undefined }
              : note
                ? { note }
                : {},
        source: "admin_ui",
      }),
    onSuccess: () => {
      errors.clear();
      setNote("");
      void queryClient.invalidateQueries({ queryKey: ["customers", customerId] });
      void queryClient.invalidateQueries({ queryKey: ["compliance", customerId] });
    },
    onError: errors.fail,
  });
  function submit(event: FormEvent) {
    event.preventDefault();
    add.mutate();
  }
  return (
    <form onSubmit={submit} className="mt-4 flex flex-col gap-3 border-t border-border pt-4" noValidate>
      <Field label="Record a preference" htmlFor="pref-kind" error={errors.of("kind")}>
        <select id="pref-kind" className="input" value={kind} onChange={(e) => setKind(e.target.value as PreferenceKind)}>
          {KINDS.map((k) => <option key={k} value={k}>{humanize(k)}</option>)}
        </select>
      </Field>
      {kind === "do_not_call_number" && (
        <Field label="Number never to dial" htmlFor="pref-blocked-phone" error={errors.of("phone_number")}>
          <select id="pref-blocked-phone" className="input" value={phone} onChange={(e) => setPhone(e.target.value)} {...invalid("pref-blocked-phone", errors.of("phone_number"))}>
            {phones.map((p) => <option key={p}>{p}</option>)}
          </select>
        </Field>
      )}
      {kind === "phone_consent" && (
        <div className="grid grid-cols-2 gap-2">
          <Field label="Number" htmlFor="pref-phone" error={errors.of("phone_number")}>
            <select id="pref-phone" className="input" value={phone} onChange={(e) => setPhone(e.target.value)} {...invalid("pref-phone", errors.of("phone_number"))}>
              {phones.map((p) => <option key={p}>{p}</option>)}
            </select>
          </Field>
          <Field label="Consent" htmlFor="pref-consent" error={errors.of("details")}>
            <select id="pref-consent" className="input" value={consent} onChange={(e) => setConsent(e.target.value)}>
              <option value="granted">Granted</option>
              <option value="revoked">Revoked</option>
            </select>
          </Field>
        </div>
      )}
      <Field label="Note" htmlFor="pref-note">
        <input id="pref-note" className="input" value={note} onChange={(e) => setNote(e.target.value)} placeholder="Optional" />
      </Field>
      <FormError message={errors.errors.form} />
      <Button type="submit" busy={add.isPending}>Add preference</Button>
    </form>
  );
}
