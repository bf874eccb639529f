import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useMemo, useState, type FormEvent } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { api, rowsOf } from "../api/client";
import { Field, FormError, invalid, useFormErrors } from "../components/forms";
import { PromptPreview } from "../components/PromptPreview";
import { Badge, Button, PageHeader, Panel, QueryState } from "../components/ui";
import { VersionList } from "../components/Versions";
import { humanize } from "../lib/format";
import type { Page, PromptPublic } from "../types";

const FIELDS = ["name", "environment", "prompt_template", "variables", "is_active"] as const;

/** The `{names}` a template uses (as Python's str.format reads them; `{{` escapes). */
export function templateFields(template: string): string[] {
  const names = new Set<string>();
  for (const match of template.replace(/\{\{|\}\}/g, "").matchAll(/\{([^{}:!]+)[^{}]*\}/g)) {
    if (match[1]) names.add(match[1].trim());
  }
  return [...names].sort();
}

export default function PromptEditor() {
  const { name } = useParams();
  const isNew = !name;
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const current = useQuery({ queryKey: ["prompts", name], queryFn: () => api.get<PromptPublic>(`/prompts/${name}`), enabled: !isNew });
  const versions = useQuery({ queryKey: ["prompts", name, "versions"], queryFn: () => api.get<Page<PromptPublic> | PromptPublic[]>(`/prompts/${name}/versions`), enabled: !isNew });
  const [viewing, setViewing] = useState<string | null>(null);
  const [newName, setNewName] = useState("");
  const [environment, setEnvironment] = useState("all");
  const [template, setTemplate] = useState("");
  const [variables, setVariables] = useState<Record<string, string>>({});
  const errors = useFormErrors(FIELDS);

  function load(prompt: PromptPublic) {
    setViewing(prompt.id);
    setEnvironment(prompt.environment);
    setTemplate(prompt.prompt_template);
    setVariables(Object.fromEntries(Object.entries(prompt.variables).map(([k, v]) => [k, String(v)])));
  }
  const [loadedId, setLoadedId] = useState<string | null>(null);
  if (current.data && current.data.id !== loadedId) {
    setLoadedId(current.data.id);
    load(current.data);
  }

  const used = useMemo(() => templateFields(template), [template]);
  const undeclared = used.filter((field) => !(field in variables));

  const save = useMutation({
    mutationFn: () =>
      isNew
        ? api.post<PromptPublic>("/prompts", { name: newName, environment, prompt_template: template, variables })
        : api.put<PromptPublic>(`/prompts/${name}`, { environment, prompt_template: template, variables }),
    onSuccess: (saved) => {
      errors.clear();
      void queryClient.invalidateQueries({ queryKey: ["prompts"] });
      if (isNew) void navigate(`/prompts/${saved.name}`, { replace: true });
    },
    onError: errors.fail,
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    save.mutate();
  }

  return (
    <div>
      <PageHeader
        title={isNew ? "New prompt" : humanize(name)}
        subtitle={current.data ? `Version ${current.data.version} · saving creates version ${current.data.version + 1}` : undefined}
        actions={<Link to="/prompts" className="text-sm text-accent-text hover:underline">← Prompts</Link>}
      />
      <QueryState isPending={!isNew && current.isPending} error={current.error} refetch={current.refetch}>
        <div className="grid gap-6 xl:grid-cols-[1fr_380px]">
          <form onSubmit={submit} noValidate className="flex flex-col gap-6">
            <Panel title="Template">
              <div className="flex flex-col gap-4">
                <div className="grid gap-4 md:grid-cols-2">
                  {isNew && (
                    <Field label="Name" htmlFor="p-name" hint="lowercase_with_underscores" error={errors.of("name")}>
                      <input id="p-name" className="input font-mono" value={newName} onChange={(e) => setNewName(e.target.value)} {...invalid("p-name", errors.of("name"))} />
                    </Field>
                  )}
                  <Field label="Environment" htmlFor="p-env" error={errors.of("environment")}>
                    <select id="p-env" className="input" value={environment} onChange={(e) => setEnvironment(e.target.value)}>
                      {["all", "local", "test", "production"].map((env) => <option key={env}>{env}</option>)}
                    </select>
                  </Field>
                </div>
                <Field label="Prompt template" htmlFor="p-template" hint="Use {variable} placeholders; each must be declared below." error={errors.of("prompt_template") ?? errors.errors.fields["body"]}>
                  <textarea id="p-template" rows={16} className="input font-mono text-xs leading-relaxed" value={template} onChange={(e) => setTemplate(e.target.value)} {...invalid("p-template", errors.of("prompt_template"))} />
                </Field>
                {undeclared.length > 0 && (
                  <p className="text-xs text-warning" role="status">
                    Undeclared variables: {undeclared.map((v) => `{${v}}`).join(", ")}{" "}
                    <button type="button" className="underline" onClick={() => setVariables((vars) => ({ ...vars, ...Object.fromEntries(undeclared.map((v) => [v, ""])) }))}>
                      Declare them
                    </button>
                  </p>
                )}
              </div>
            </Panel>
            <Panel title="Variables">
              {errors.of("variables") && <p role="alert" className="mb-2 text-xs text-danger">{errors.of("variables")}</p>}
              <div className="flex flex-col gap-2">
                {Object.entries(variables).map(([variable, descriptionText]) => (
                  <div key={variable} className="flex items-center gap-2">
                    <code className="w-44 shrink-0 truncate text-xs">{`{${variable}}`}</code>
                    <input aria-label={`Description of ${variable}`} className="input" value={descriptionText} placeholder="What it holds" onChange={(e) => setVariables((vars) => ({ ...vars, [variable]: e.target.value }))} />
                    {!used.includes(variable) && <Badge>unused</Badge>}
                    <Button variant="ghost" aria-label={`Remove ${variable}`} onClick={() => setVariables((vars) => Object.fromEntries(Object.entries(vars).filter(([k]) => k !== variable)))}>✕</Button>
                  </div>
                ))}
                {Object.keys(variables).length === 0 && <p className="text-sm text-muted">No variables declared.</p>}
              </div>
            </Panel>
            <div className="flex items-center gap-3">
              <Button type="submit" variant="primary" busy={save.isPending}>{isNew ? "Create prompt" : "Save new version"}</Button>
              {save.isSuccess && !save.isPending && <span className="text-sm text-success">Saved.</span>}
            </div>
            <FormError message={errors.errors.form} />
          </form>
          <div className="flex flex-col gap-6">
            {!isNew && (
              <Panel title="Versions">
                <VersionList versions={rowsOf(versions.data)} selected={viewing} onSelect={load} />
              </Panel>
            )}
            <PromptPreview promptName={isNew ? null : (name ?? null)} />
          </div>
        </div>
      </QueryState>
    </div>
  );
}
