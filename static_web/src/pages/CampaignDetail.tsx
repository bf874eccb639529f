import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback, useState } from "react";
import { Link, useParams } from "react-router";
import { api, errorMessage } from "../api/client";
import { ConfirmButton } from "../components/ConfirmDialog";
import { FormError } from "../components/forms";
import { Pager, useCursorPager } from "../components/Pager";
import { Button, EmptyState, KpiCard, OutcomeBadge, PageHeader, Panel, ProgressBar, QueryState, StatusBadge, Table, td, th } from "../components/ui";
import { dateTime, humanize } from "../lib/format";
import { useLiveEvents } from "../live/LiveProvider";
import type { CampaignProgressPublic, CampaignPublic, CampaignRunPublic, CampaignTargetPublic, LiveEvent, Page } from "../types";

type Action = "start" | "pause" | "resume" | "cancel";

export default function CampaignDetail() {
  const { campaignId = "" } = useParams();
  const queryClient = useQueryClient();
  const pager = useCursorPager();
  const campaign = useQuery({ queryKey: ["campaigns", "detail", campaignId], queryFn: () => api.get<CampaignPublic>(`/campaigns/${campaignId}`) });
  const progress = useQuery({ queryKey: ["campaigns", "progress", campaignId], queryFn: () => api.get<CampaignProgressPublic>(`/campaigns/${campaignId}/progress`) });
  const targets = useQuery({
    queryKey: ["campaigns", "targets", campaignId, pager.cursor],
    queryFn: () => api.get<Page<CampaignTargetPublic>>(`/campaigns/${campaignId}/targets`, { cursor: pager.cursor, limit: 25 }),
    placeholderData: keepPreviousData,
  });
  const [liveProgress, setLiveProgress] = useState<CampaignProgressPublic | null>(null);

  useLiveEvents(
    useCallback(
      (event: LiveEvent) => {
        if (event.type === "campaign.progress" && event.campaign_id === campaignId) {
          setLiveProgress((previous) => ({
            run_number: 0,
            attempts: 0,
            outcomes: {},
            instance_id: null,
            runtime: null,
            ...(previous ?? progress.data),
            status: (previous ?? progress.data)?.status ?? "running",
            campaign_id: event.campaign_id,
            total: event.total,
            counts: event.counts,
            percent_done: event.percent_done,
          }));
          void queryClient.invalidateQueries({ queryKey: ["campaigns", "targets", campaignId] });
          if (event.percent_done >= 100) void queryClient.invalidateQueries({ queryKey: ["campaigns", "detail", campaignId] });
        }
      },
      [campaignId, queryClient, progress.data],
    ),
  );

  const control = useMutation({
    mutationFn: (action: Action) => api.post<CampaignRunPublic>(`/campaigns/${campaignId}/${action}`),
    onSuccess: (run) => {
      if (run?.campaign) queryClient.setQueryData(["campaigns", "detail", campaignId], run.campaign);
      setLiveProgress(null);
      void queryClient.invalidateQueries({ queryKey: ["campaigns"] });
    },
  });

  // The freshest of the fetched and the live progress.
  const shown = liveProgress && (!progress.data || liveProgress.percent_done >= progress.data.percent_done) ? liveProgress : progress.data;
  const data = campaign.data;
  const status = data?.status;
  const counts = [...Object.entries(shown?.counts ?? {}), ...Object.entries(shown?.outcomes ?? {})].filter(([, n]) => n > 0);

  return (
    <div>
      <PageHeader
        title={data?.name ?? "Campaign"}
        subtitle={data ? <span className="flex items-center gap-2"><StatusBadge status={status} /> created {dateTime(data.created_at)}{data.run_number ? ` · run ${data.run_number}` : ""}</span> : undefined}
        actions={
          <>
            <Link to="/campaigns" className="mr-2 text-sm text-accent-text hover:underline">← Campaigns</Link>
            {(status === "draft" || status === "scheduled") && (
              <Button variant="primary" busy={control.isPending && control.variables === "start"} onClick={() => control.mutate("start")}>Start</Button>
            )}
            {status === "running" && <Button busy={control.isPending && control.variables === "pause"} onClick={() => control.mutate("pause")}>Pause</Button>}
            {status === "paused" && <Button variant="primary" busy={control.isPending && control.variables === "resume"} onClick={() => control.mutate("resume")}>Resume</Button>}
            {status && !["completed", "canceled"].includes(status) && (
              <ConfirmButton
                label="Cancel campaign"
                title="Cancel this campaign?"
                message="No further calls are placed; calls in progress finish normally. A canceled campaign cannot be restarted."
                confirmLabel="Cancel campaign"
                onConfirm={() => control.mutate("cancel")}
              />
            )}
          </>
        }
      />
      {control.error && <div className="mb-4"><FormError message={errorMessage(control.error)} /></div>}
      <QueryState isPending={campaign.isPending} error={campaign.error} refetch={campaign.refetch}>
        <Panel title="Progress">
          {shown ? (
            <div data-testid="campaign-progress" data-percent={Math.round(shown.percent_done)}>
              <div className="mb-2 flex items-baseline justify-between">
                <span className="text-3xl font-semibold tabular-nums" data-testid="campaign-percent">{Math.round(shown.percent_done)}%</span>
                <span className="text-muted">{shown.total} customers</span>
              </div>
              <ProgressBar value={shown.percent_done} label="Campaign progress" />
              <div className="mt-4 grid grid-cols-2 gap-3 md:grid-cols-4 xl:grid-cols-6">
                {counts.length === 0 ? <p className="text-sm text-muted">Nothing dialed yet.</p> : counts.map(([name, n], index) => <KpiCard key={`${index}-${name}`} label={humanize(name)} value={n} />)}
              </div>
            </div>
          ) : progress.error ? (
            <p className="text-muted">{errorMessage(progress.error)}</p>
          ) : (
            <p className="text-muted">Loading progress…</p>
          )}
        </Panel>
        <Panel title="Targets" className="mt-6">
          <QueryState
            isPending={targets.isPending}
            error={targets.error}
            refetch={targets.refetch}
            isEmpty={targets.data?.data.length === 0}
            empty={<EmptyState title="No targets yet">Targets are planned when the campaign starts.</EmptyState>}
          >
            <Table label="Targets">
              <thead>
                <tr>
                  <th className={th}>Customer</th>
                  <th className={th}>Status</th>
                  <th className={th}>Tactic</th>
                  <th className={th}>Attempts</th>
                  <th className={th}>Outcome</th>
                  <th className={th}>Next attempt / reason</th>
                </tr>
              </thead>
              <tbody>
                {targets.data?.data.map((target) => (
                  <tr key={target.id}>
                    <td className={td}><Link className="text-accent-text hover:underline" to={`/customers/${target.customer_id}`}>{target.customer_id.slice(0, 8)}</Link></td>
                    <td className={td}><StatusBadge status={target.status} /></td>
                    <td className={td}>{humanize(target.tactic_name)}</td>
                    <td className={`${td} tabular-nums`}>{target.attempts ?? 0}</td>
                    <td className={td}><OutcomeBadge outcome={target.last_outcome} /></td>
                    <td className={`${td} text-muted`}>{target.blocked_reasons.length ? target.blocked_reasons.map((reason) => (typeof reason === "string" ? reason : JSON.stringify(reason))).join("; ") : target.next_attempt_at ? dateTime(target.next_attempt_at) : "—"}</td>
                  </tr>
                ))}
              </tbody>
            </Table>
            <Pager page={pager.page} count={targets.data?.count ?? 0} shown={targets.data?.data.length ?? 0} nextCursor={targets.data?.next_cursor} onNext={pager.next} onPrevious={pager.previous} />
          </QueryState>
        </Panel>
      </QueryState>
    </div>
  );
}
