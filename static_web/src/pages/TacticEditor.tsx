import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { api, rowsOf } from "../api/client";
import { ConfirmButton } from "../components/ConfirmDialog";
import { Field, FormError, invalid, useFormErrors } from "../components/forms";
import { PromptPreview } from "../components/PromptPreview";
import { Button, PageHeader, Panel, QueryState } from "../components/ui";
import { VersionList } from "../components/Versions";
import { humanize } from "../lib/format";
import type { Page, PromptPublic, TacticConfig, TacticItem, TacticPublic } from "../types";

const FIELDS = ["name", "archetype", "description", "config", "is_active"] as const;

const BLANK: TacticConfig = {
  urgency_level: 2,
  empathy_index: 4,
  persistence_level: 2,
  tactics: [{ name: "", description: "", guidance: "", example: "" }],
  offer_order: ["pay_in_full", "settlement", "payment_plan"],
};

export default function TacticEditor() {
  const { name } = useParams();
  const isNew = !name;
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const current = useQuery({ queryKey: ["tactics", name], queryFn: () => api.get<TacticPublic>(`/tactics/${name}`), enabled: !isNew });
  const versions = useQuery({
    queryKey: ["tactics", name, "versions"],
    queryFn: () => api.get<Page<TacticPublic> | TacticPublic[]>(`/tactics/${name}/versions`),
    enabled: !isNew,
  });
  const prompts = useQuery({ queryKey: ["prompts"], queryFn: () => api.get<Page<PromptPublic> | PromptPublic[]>("/prompts") });

  const [viewing, setViewing] = useState<TacticPublic | null>(null);
  const [newName, setNewName] = useState("");
  const [archetype, setArchetype] = useState("");
  const [description, setDescription] = useState("");
  const [config, setConfig] = useState<TacticConfig>(BLANK);
  const [active, setActive] = useState(true);
  const errors = useFormErrors(FIELDS);

  function load(tactic: TacticPublic) {
    setArchetype(tactic.archetype);
    setDescription(tactic.description);
    setConfig(tactic.config);
    setActive(tactic.is_active);
  }
  // A newly fetched current version fills the form (React's "adjust state on new data" pattern).
  const [loadedId, setLoadedId] = useState<string | null>(null);
  if (current.data && current.data.id !== loadedId) {
    setLoadedId(current.data.id);
    load(current.data);
    setViewing(current.data);
  }

  const save = useMutation({
    mutationFn: () =>
      isNew
        ? api.post<TacticPublic>("/tactics", { name: newName, archetype, description, config })
        : api.put<TacticPublic>(`/tactics/${name}`, { archetype, description, config, is_active: active }),
    onSuccess: (saved) => {
      errors.clear();
      void queryClient.invalidateQueries({ queryKey: ["tactics"] });
      if (isNew) void navigate(`/tactics/${saved.name}`, { replace: true });
    },
    onError: errors.fail,
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    save.mutate();
  }

  const setItem = (index: number, change: Partial<TacticItem>) =>
    setConfig((c) => ({ ...c, tactics: c.tactics.map((item, i) => (i === index ? { ...item, ...change } : item)) }));
  const promptName = rowsOf(prompts.data)[0]?.name ?? null;
  const oldVersion = viewing && current.data && viewing.id !== current.data.id;

  return (
    <div>
      <PageHeader
        title={isNew ? "New tactic" : humanize(name)}
        subtitle={current.data ? `Version ${current.data.version} · saving creates version ${current.data.version + 1}` : "Saved tactics are versioned; calls record the version they used"}
        actions={<Link to="/tactics" className="text-sm text-accent-text hover:underline">← Tactics</Link>}
      />
      <QueryState isPending={!isNew && current.isPending} error={current.error} refetch={current.refetch}>
        <div className="grid gap-6 xl:grid-cols-[1fr_360px]">
          <form onSubmit={submit} noValidate className="flex flex-col gap-6">
            {oldVersion && (
              <div className="rounded-lg border border-warning/60 bg-warning/5 px-3 py-2 text-sm">
                Viewing version {viewing.version}. Saving makes its content the newest version.
              </div>
            )}
            <Panel title="Tactic">
              <div className="grid gap-4 md:grid-cols-2">
                {isNew && (
                  <Field label="Name" htmlFor="t-name" hint="lowercase_with_underscores" error={errors.of("name")}>
                    <input id="t-name" className="input font-mono" value={newName} onChange={(e) => setNewName(e.target.value)} {...invalid("t-name", errors.of("name"))} />
                  </Field>
                )}
                <Field label="Archetype" htmlFor="t-arch" error={errors.of("archetype")}>
                  <input id="t-arch" className="input" value={archetype} onChange={(e) => setArchetype(e.target.value)} {...invalid("t-arch", errors.of("archetype"))} />
                </Field>
                <div className="md:col-span-2">
                  <Field label="Description" htmlFor="t-desc" error={errors.of("description")}>
                    <textarea id="t-desc" rows={2} className="input" value={description} onChange={(e) => setDescription(e.target.value)} />
                  </Field>
                </div>
                {(["urgency_level", "empathy_index", "persistence_level"] as const).map((key) => (
                  <Field key={key} label={`${humanize(key)}: ${config[key]}`} htmlFor={`t-${key}`} error={errors.of(`config.${key}`)}>
                    <input id={`t-${key}`} type="range" min={1} max={5} value={config[key]} onChange={(e) => setConfig((c) => ({ ...c, [key]: Number(e.target.value) }))} className="accent-[var(--color-accent)]" />
                  </Field>
                ))}
                {!isNew && (
                  <label className="flex items-center gap-2 text-sm">
                    <input type="checkbox" checked={active} onChange={(e) => setActive(e.target.checked)} /> Active (offered to campaigns)
                  </label>
                )}
              </div>
            </Panel>
            <Panel title="Techniques" actions={<Button variant="ghost" onClick={() => setConfig((c) => ({ ...c, tactics: [...c.tactics, { name: "", description: "", guidance: "", example: "" }] }))}>+ Add</Button>}>
              {errors.of("config.tactics") && <p role="alert" className="mb-3 text-xs text-danger">{errors.of("config.tactics")}</p>}
              <div className="flex flex-col gap-4">
                {config.tactics.map((item, index) => (
                  <div key={index} className="grid gap-2 rounded-lg border border-border p-3 md:grid-cols-2">
                    <Field label="Technique" htmlFor={`ti-name-${index}`} error={errors.of(`config.tactics.${index}.name`)}>
                      <input id={`ti-name-${index}`} className="input" value={item.name} onChange={(e) => setItem(index, { name: e.target.value })} />
                    </Field>
                    <Field label="Description" htmlFor={`ti-desc-${index}`} error={errors.of(`config.tactics.${index}.description`)}>
                      <input id={`ti-desc-${index}`} className="input" value={item.description} onChange={(e) => setItem(index, { description: e.target.value })} />
                    </Field>
                    <Field label="Guidance (how to use it truthfully)" htmlFor={`ti-guid-${index}`} error={errors.of(`config.tactics.${index}.guidance`)}>
                      <textarea id={`ti-guid-${index}`} rows={2} className="input" value={item.guidance ?? ""} onChange={(e) => setItem(index, { guidance: e.target.value })} />
                    </Field>
                    <Field label="Example" htmlFor={`ti-ex-${index}`} error={errors.of(`config.tactics.${index}.example`)}>
                      <textarea id={`ti-ex-${index}`} rows={2} className="input" value={item.example ?? ""} onChange={(e) => setItem(index, { example: e.target.value })} />
                    </Field>
                    <div className="md:col-span-2">
                      <Button variant="ghost" disabled={config.tactics.length <= 1} onClick={() => setConfig((c) => ({ ...c, tactics: c.tactics.filter((_, i) => i !== index) }))}>Remove technique</Button>
                    </div>
                  </div>
                ))}
              </div>
            </Panel>
            <div className="flex items-center gap-3">
              <Button type="submit" variant="primary" busy={save.isPending}>{isNew ? "Create tactic" : "Save new version"}</Button>
              {save.isSuccess && !save.isPending && <span className="text-sm text-success">Saved.</span>}
              {!isNew && current.data?.is_active && (
                <ConfirmButton
                  label="Deactivate"
                  title="Deactivate this tactic?"
                  message="Campaigns stop assigning it; calls already made keep their record."
                  confirmLabel="Deactivate"
                  variant="secondary"
                  onConfirm={() => {
                    setActive(false);
                    void api.put<TacticPublic>(`/tactics/${name}`, { is_active: false }).then(() => queryClient.invalidateQueries({ queryKey: ["tactics"] }), errors.fail);
                  }}
                />
              )}
            </div>
            <FormError message={errors.errors.form} />
          </form>
          <div className="flex flex-col gap-6">
            {!isNew && (
              <Panel title="Versions">
                <VersionList versions={rowsOf(versions.data)} selected={viewing?.id ?? null} onSelect={(version) => { setViewing(version); load(version); }} />
              </Panel>
            )}
            <PromptPreview promptName={promptName} tacticName={isNew ? undefined : name} />
          </div>
        </div>
      </QueryState>
    </div>
  );
}
