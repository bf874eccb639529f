import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { api, rowsOf } from "../api/client";
import { ConfirmButton } from "../components/ConfirmDialog";
import { Field, FormError, invalid, useFormErrors } from "../components/forms";
import { Badge, Button, EmptyState, PageHeader, Panel, QueryState, Table, td, th } from "../components/ui";
import { dateTime, humanize } from "../lib/format";
import type { ApiKeyCreated, ApiKeyPublic, OrganizationPublic, OrganizationSettings, Page, Role } from "../types";

export default function Settings() {
  return (
    <div>
      <PageHeader title="Settings" subtitle="Your organization, how Archer calls on its behalf, and who can use it" />
      <div className="flex flex-col gap-6">
        <OrganizationForm />
        <ApiKeys />
      </div>
    </div>
  );
}

const ORG_FIELDS = ["name", "settings"] as const;

function OrganizationForm() {
  const queryClient = useQueryClient();
  const org = useQuery({ queryKey: ["organization"], queryFn: () => api.get<OrganizationPublic>("/organization") });
  const [name, setName] = useState("");
  const [settings, setSettings] = useState<OrganizationSettings | null>(null);
  const errors = useFormErrors(ORG_FIELDS);
  const [loadedAt, setLoadedAt] = useState<string | null>(null);
  if (org.data && org.data.updated_at !== loadedAt) {
    setLoadedAt(org.data.updated_at);
    setName(org.data.name);
    setSettings(org.data.settings);
  }
  const save = useMutation({
    mutationFn: () => api.patch<OrganizationPublic>("/organization", { name, settings }),
    onSuccess: (saved) => {
      errors.clear();
      queryClient.setQueryData(["organization"], saved);
    },
    onError: errors.fail,
  });
  const set = <K extends keyof OrganizationSettings>(key: K, value: OrganizationSettings[K]) => setSettings((s) => (s ? { ...s, [key]: value } : s));
  const e = (field: string) => errors.of(`settings.${field}`);
  function submit(event: FormEvent) {
    event.preventDefault();
    save.mutate();
  }
  const window_ = settings?.calling_window ?? { start: "08:00:00", end: "21:00:00" };
  return (
    <QueryState isPending={org.isPending} error={org.error} refetch={org.refetch}>
      {settings && (
        <form onSubmit={submit} noValidate className="grid gap-6 xl:grid-cols-2">
          <Panel title="Organization">
            <div className="grid gap-4 md:grid-cols-2">
              <Field label="Name" htmlFor="o-name" error={errors.of("name")}>
                <input id="o-name" className="input" value={name} onChange={(ev) => setName(ev.target.value)} {...invalid("o-name", errors.of("name"))} />
              </Field>
              <Field label="Time zone (campaign schedules)" htmlFor="o-tz" error={e("timezone")}>
                <input id="o-tz" className="input" value={settings.timezone ?? ""} onChange={(ev) => set("timezone", ev.target.value)} {...invalid("o-tz", e("timezone"))} />
              </Field>
              <Field label="Agent's name" htmlFor="o-agent" error={e("agent_name")}>
                <input id="o-agent" className="input" value={settings.agent_name ?? ""} onChange={(ev) => set("agent_name", ev.target.value)} {...invalid("o-agent", e("agent_name"))} />
              </Field>
              <Field label="Business name (said in voicemails)" htmlFor="o-biz" error={e("business_name")} hint="No debt wording: Regulation F limited content.">
                <input id="o-biz" className="input" value={settings.business_name ?? ""} onChange={(ev) => set("business_name", ev.target.value || null)} />
              </Field>
              <Field label="Caller ID number" htmlFor="o-cid" error={e("caller_id_number")}>
                <input id="o-cid" className="input" value={settings.caller_id_number ?? ""} onChange={(ev) => set("caller_id_number", ev.target.value || null)} {...invalid("o-cid", e("caller_id_number"))} />
              </Field>
              <Field label="Callback number" htmlFor="o-cb" error={e("callback_number")}>
                <input id="o-cb" className="input" value={settings.callback_number ?? ""} onChange={(ev) => set("callback_number", ev.target.value || null)} {...invalid("o-cb", e("callback_number"))} />
              </Field>
              <Field label="Transfer to (a person)" htmlFor="o-tr" error={e("transfer_number")}>
                <input id="o-tr" className="input" value={settings.transfer_number ?? ""} onChange={(ev) => set("transfer_number", ev.target.value || null)} {...invalid("o-tr", e("transfer_number"))} />
              </Field>
            </div>
          </Panel>
          <div className="flex flex-col gap-6">
            <Panel title="Calling window">
              <p className="mb-3 text-sm text-muted">In each customer's local time. You may narrow the federal 08:00–21:00 window, never widen it.</p>
              <div className="grid grid-cols-2 gap-4">
                <Field label="Earliest" htmlFor="o-start" error={e("calling_window.start") ?? e("calling_window")}>
                  <input id="o-start" type="time" className="input" value={String(window_.start).slice(0, 5)} onChange={(ev) => set("calling_window", { ...window_, start: ev.target.value })} {...invalid("o-start", e("calling_window"))} />
                </Field>
                <Field label="Latest" htmlFor="o-end" error={e("calling_window.end")}>
                  <input id="o-end" type="time" className="input" value={String(window_.end).slice(0, 5)} onChange={(ev) => set("calling_window", { ...window_, end: ev.target.value })} />
                </Field>
              </div>
            </Panel>
            <Panel title="Recording and retention">
              <label className="mb-4 flex items-center gap-2 text-sm">
                <input type="checkbox" checked={settings.recording_enabled ?? true} onChange={(ev) => set("recording_enabled", ev.target.checked)} />
                Record calls (the agent says so at the start of every call)
              </label>
              <Field label="Keep transcripts and recordings for (days)" htmlFor="o-ret" error={e("retention_days")} hint="30 to 3650 days; older records are deleted.">
                <input id="o-ret" type="number" min={30} max={3650} className="input w-40" value={settings.retention_days ?? 1095} onChange={(ev) => set("retention_days", Number(ev.target.value))} {...invalid("o-ret", e("retention_days"))} />
              </Field>
            </Panel>
          </div>
          <div className="flex items-center gap-3 xl:col-span-2">
            <Button type="submit" variant="primary" busy={save.isPending}>Save settings</Button>
            {save.isSuccess && <span className="text-sm text-success">Saved.</span>}
            <FormError message={errors.errors.form} />
          </div>
        </form>
      )}
    </QueryState>
  );
}

const KEY_FIELDS = ["name", "role"] as const;

function ApiKeys() {
  const queryClient = useQueryClient();
  const keys = useQuery({ queryKey: ["api-keys"], queryFn: () => api.get<Page<ApiKeyPublic> | ApiKeyPublic[]>("/api-keys") });
  const [name, setName] = useState("");
  const [role, setRole] = useState<Role>("operator");
  const [created, setCreated] = useState<ApiKeyCreated | null>(null);
  const errors = useFormErrors(KEY_FIELDS);
  const create = useMutation({
    mutationFn: () => api.post<ApiKeyCreated>("/api-keys", { name, role }),
    onSuccess: (key) => {
      errors.clear();
      setCreated(key);
      setName("");
      void queryClient.invalidateQueries({ queryKey: ["api-keys"] });
    },
    onError: errors.fail,
  });
  const revoke = useMutation({
    mutationFn: (id: string) => api.delete(`/api-keys/${id}`),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ["api-keys"] }),
  });
  const rows = rowsOf(keys.data);
  return (
    <Panel title="API keys">
      <form
        onSubmit={(event) => {
          event.preventDefault();
          create.mutate();
        }}
        noValidate
        className="mb-5 grid gap-3 md:grid-cols-[1fr_180px_auto] md:items-end"
      >
        <Field label="New key's name" htmlFor="k-name" error={errors.of("name")}>
          <input id="k-name" className="input" placeholder="e.g. Ops team laptop" value={name} onChange={(e) => setName(e.target.value)} {...invalid("k-name", errors.of("name"))} />
        </Field>
        <Field label="Role" htmlFor="k-role" error={errors.of("role")}>
          <select id="k-role" className="input" value={role} onChange={(e) => setRole(e.target.value as Role)}>
            <option value="viewer">Viewer (read)</option>
            <option value="operator">Operator (run)</option>
            <option value="admin">Admin (everything)</option>
          </select>
        </Field>
        <Button type="submit" variant="primary" busy={create.isPending}>Create key</Button>
      </form>
      <FormError message={errors.errors.form ?? (revoke.error ? String(revoke.error) : null)} />
      {created && (
        <div role="status" className="mb-5 rounded-lg border border-accent/60 bg-accent/5 p-3 text-sm">
          <p className="font-medium">Copy this key now — it is shown only once.</p>
          <div className="mt-2 flex items-center gap-2">
            <code className="flex-1 overflow-x-auto rounded bg-bg px-2 py-1 font-mono text-xs" data-testid="new-key">{created.key}</code>
            <Button onClick={() => void navigator.clipboard?.writeText(created.key)}>Copy</Button>
            <Button variant="ghost" onClick={() => setCreated(null)}>Done</Button>
          </div>
        </div>
      )}
      <QueryState isPending={keys.isPending} error={keys.error} refetch={keys.refetch} isEmpty={rows.length === 0} empty={<EmptyState title="No API keys" />}>
        <Table label="API keys">
          <thead>
            <tr>
              <th className={th}>Name</th>
              <th className={th}>Key</th>
              <th className={th}>Role</th>
              <th className={th}>Created</th>
              <th className={th}>Last used</th>
              <th className={th} />
            </tr>
          </thead>
          <tbody>
            {rows.map((key) => (
              <tr key={key.id}>
                <td className={td}>{key.name}</td>
                <td className={`${td} font-mono text-xs`}>{key.prefix}…</td>
                <td className={td}><Badge tone={key.role === "admin" ? "accent" : "neutral"}>{humanize(key.role)}</Badge></td>
                <td className={td}>{dateTime(key.created_at)}</td>
                <td className={td}>{key.last_used_at ? dateTime(key.last_used_at) : "never"}</td>
                <td className={`${td} text-right`}>
                  {key.revoked_at ? (
                    <Badge>revoked {dateTime(key.revoked_at)}</Badge>
                  ) : (
                    <ConfirmButton
                      label="Revoke"
                      title={`Revoke “${key.name}”?`}
                      message="Anything using this key stops working at once. This cannot be undone."
                      confirmLabel="Revoke key"
                      onConfirm={() => revoke.mutate(key.id)}
                    />
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </Table>
      </QueryState>
    </Panel>
  );
}
