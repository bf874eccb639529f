import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { api, rowsOf } from "../api/client";
import { Badge, EmptyState, PageHeader, Panel, QueryState, Table, td, th } from "../components/ui";
import { dateTime, humanize } from "../lib/format";
import type { Page, PromptPublic } from "../types";

export default function Prompts() {
  const prompts = useQuery({ queryKey: ["prompts"], queryFn: () => api.get<Page<PromptPublic> | PromptPublic[]>("/prompts") });
  const rows = rowsOf(prompts.data);
  return (
    <div>
      <PageHeader
        title="Prompts"
        subtitle="The agent's system prompts: templates filled with the customer, tactic and organization per call"
        actions={<Link to="/prompts/new" className="rounded-lg bg-accent px-3.5 py-2 text-sm font-semibold text-on-accent">New prompt</Link>}
      />
      <Panel>
        <QueryState isPending={prompts.isPending} error={prompts.error} refetch={prompts.refetch} isEmpty={rows.length === 0} empty={<EmptyState title="No prompts yet" />}>
          <Table label="Prompts">
            <thead>
              <tr>
                <th className={th}>Name</th>
                <th className={th}>Version</th>
                <th className={th}>Environment</th>
                <th className={th}>Variables</th>
                <th className={th}>Updated</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((prompt) => (
                <tr key={prompt.id} className="hover:bg-raised">
                  <td className={td}>
                    <Link to={`/prompts/${prompt.name}`} className="font-medium text-accent-text hover:underline">{humanize(prompt.name)}</Link>
                    {!prompt.is_active && <span className="ml-2"><Badge tone="warning">inactive</Badge></span>}
                  </td>
                  <td className={td}>v{prompt.version}</td>
                  <td className={td}>{prompt.environment}</td>
                  <td className={`${td} font-mono text-xs text-muted`}>{Object.keys(prompt.variables).join(", ")}</td>
                  <td className={td}>{dateTime(prompt.created_at)}</td>
                </tr>
              ))}
            </tbody>
          </Table>
        </QueryState>
      </Panel>
    </div>
  );
}
