import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { api, rowsOf } from "../api/client";
import { Badge, EmptyState, PageHeader, QueryState } from "../components/ui";
import { humanize } from "../lib/format";
import type { Page, TacticPublic } from "../types";

function Meter({ label, value }: { label: string; value: number }) {
  return (
    <div className="flex items-center gap-2 text-xs text-muted">
      <span className="w-20">{label}</span>
      <span className="flex gap-0.5" aria-label={`${label} ${value} of 5`}>
        {[1, 2, 3, 4, 5].map((n) => (
          <span key={n} className={`h-1.5 w-4 rounded-full ${n <= value ? "bg-accent" : "bg-raised"}`} />
        ))}
      </span>
    </div>
  );
}

export default function Tactics() {
  const tactics = useQuery({ queryKey: ["tactics"], queryFn: () => api.get<Page<TacticPublic> | TacticPublic[]>("/tactics") });
  const rows = rowsOf(tactics.data);
  return (
    <div>
      <PageHeader
        title="Tactics"
        subtitle="Behavioral approaches the agent uses: how urgent, how empathetic, how persistent — always truthful"
        actions={<Link to="/tactics/new" className="rounded-lg bg-accent px-3.5 py-2 text-sm font-semibold text-on-accent">New tactic</Link>}
      />
      <QueryState isPending={tactics.isPending} error={tactics.error} refetch={tactics.refetch} isEmpty={rows.length === 0} empty={<EmptyState title="No tactics yet" />}>
        <div className="grid gap-4 md:grid-cols-2 xl:grid-cols-3">
          {rows.map((tactic) => (
            <Link key={tactic.id} to={`/tactics/${tactic.name}`} className="panel block p-5 hover:border-accent">
              <div className="text-xs font-medium tracking-wide text-muted uppercase">{humanize(tactic.archetype)}</div>
              <div className="mt-1 flex items-center justify-between gap-2">
                <span className="text-base font-semibold">{humanize(tactic.name)}</span>
                <span className="flex gap-1">
                  <Badge>v{tactic.version}</Badge>
                  {!tactic.is_active && <Badge tone="warning">inactive</Badge>}
                </span>
              </div>
              <p className="mt-1 line-clamp-2 text-sm text-muted">{tactic.description}</p>
              <div className="mt-4 flex flex-col gap-1">
                <Meter label="Urgency" value={tactic.config.urgency_level} />
                <Meter label="Empathy" value={tactic.config.empathy_index} />
                <Meter label="Persistence" value={tactic.config.persistence_level} />
              </div>
              <div className="mt-4 flex flex-wrap gap-1.5">
                {tactic.config.tactics.map((item) => (
                  <span key={item.name} className="rounded-md bg-raised px-2 py-0.5 text-xs text-muted">{item.name}</span>
                ))}
              </div>
            </Link>
          ))}
        </div>
      </QueryState>
    </div>
  );
}
