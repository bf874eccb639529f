import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { api, rowsOf } from "../api/client";
import { EmptyState, PageHeader, Panel, QueryState, StatusBadge, Table, td, th } from "../components/ui";
import { dateTime, humanize } from "../lib/format";
import type { CampaignPublic, Page, TacticShare } from "../types";

export default function Campaigns() {
  const campaigns = useQuery({ queryKey: ["campaigns", "list"], queryFn: () => api.get<Page<CampaignPublic> | CampaignPublic[]>("/campaigns") });
  const rows = rowsOf(campaigns.data);
  return (
    <div>
      <PageHeader
        title="Campaigns"
        subtitle="Outbound calling runs: who is called, when, and with which tactics"
        actions={
          <Link to="/campaigns/new" className="rounded-lg bg-accent px-3.5 py-2 text-sm font-semibold text-on-accent">
            New campaign
          </Link>
        }
      />
      <Panel>
        <QueryState
          isPending={campaigns.isPending}
          error={campaigns.error}
          refetch={campaigns.refetch}
          isEmpty={rows.length === 0}
          empty={<EmptyState title="No campaigns yet">Create one to call a segment of customers inside their calling windows.</EmptyState>}
        >
          <Table label="Campaigns">
            <thead>
              <tr>
                <th className={th}>Name</th>
                <th className={th}>Status</th>
                <th className={th}>Tactics</th>
                <th className={th}>Created</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((campaign) => (
                <tr key={campaign.id} className="hover:bg-raised">
                  <td className={td}>
                    <Link to={`/campaigns/${campaign.id}`} className="font-medium text-accent-text hover:underline">
                      {campaign.name}
                    </Link>
                  </td>
                  <td className={td}><StatusBadge status={campaign.status} /></td>
                  <td className={td}>{splitLabel(campaign.tactics)}</td>
                  <td className={td}>{dateTime(campaign.created_at)}</td>
                </tr>
              ))}
            </tbody>
          </Table>
        </QueryState>
      </Panel>
    </div>
  );
}

/** `Calm 50% · Firm 50%` from the split's weights. */
export function splitLabel(shares: TacticShare[] | undefined): string {
  if (!shares?.length) return "—";
  const total = shares.reduce((sum, share) => sum + (share.weight ?? 1), 0);
  return shares.map((share) => `${humanize(share.tactic_name)} ${Math.round(((share.weight ?? 1) / total) * 100)}%`).join(" · ");
}
