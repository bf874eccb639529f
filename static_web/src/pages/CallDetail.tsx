import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback } from "react";
import { Link, useParams } from "react-router";
import { api } from "../api/client";
import { Badge, EmptyState, OutcomeBadge, PageHeader, Panel, QueryState, StatusBadge } from "../components/ui";
import { dateTime, duration, humanize, time } from "../lib/format";
import { useLiveEvents } from "../live/LiveProvider";
import type { AuditFinding, CallDetail as CallDetailModel, LiveEvent, TranscriptEntryPublic } from "../types";

type CallDetailView = CallDetailModel & { findings?: AuditFinding[] | null; audit_findings?: AuditFinding[] | null };

export default function CallDetail() {
  const { callId = "" } = useParams();
  const queryClient = useQueryClient();
  const call = useQuery({ queryKey: ["calls", "detail", callId], queryFn: () => api.get<CallDetailView>(`/calls/${callId}`) });

  // While the call is live, each of its events refreshes the record.
  useLiveEvents(
    useCallback(
      (event: LiveEvent) => {
        if ("call_id" in event && event.call_id === callId) {
          void queryClient.invalidateQueries({ queryKey: ["calls", "detail", callId] });
        }
      },
      [callId, queryClient],
    ),
  );

  const data = call.data;
  const findings = data?.findings ?? data?.audit_findings ?? null;
  return (
    <div>
      <PageHeader
        title="Call"
        subtitle={data ? `${humanize(data.direction)} ${humanize(data.call_type).toLowerCase()} call · ${dateTime(data.start_time)}` : undefined}
        actions={<Link to="/calls" className="text-sm text-accent-text hover:underline">← All calls</Link>}
      />
      <QueryState isPending={call.isPending} error={call.error} refetch={call.refetch}>
        {data && (
          <div className="grid gap-6 lg:grid-cols-[1fr_320px]">
            <Panel title="Transcript">
              {data.transcript.length === 0 ? <EmptyState title="Nothing recorded yet" /> : <Timeline entries={data.transcript} />}
            </Panel>
            <div className="flex flex-col gap-6">
              <Panel title="Outcome">
                <dl className="grid grid-cols-2 gap-x-3 gap-y-2 text-sm">
                  <dt className="text-muted">Status</dt>
                  <dd><StatusBadge status={data.status} /></dd>
                  <dt className="text-muted">Outcome</dt>
                  <dd><OutcomeBadge outcome={data.outcome} /></dd>
                  <dt className="text-muted">Verified</dt>
                  <dd>{data.verified ? "Right party" : "No"}</dd>
                  <dt className="text-muted">Duration</dt>
                  <dd>{duration(data.duration_seconds)}</dd>
                  <dt className="text-muted">Brain</dt>
                  <dd>{humanize(data.brain)}</dd>
                  <dt className="text-muted">Customer</dt>
                  <dd>{data.customer_id ? <Link className="text-accent-text hover:underline" to={`/customers/${data.customer_id}`}>Open</Link> : "Unknown"}</dd>
                  {data.campaign_id && (
                    <>
                      <dt className="text-muted">Campaign</dt>
                      <dd><Link className="text-accent-text hover:underline" to={`/campaigns/${data.campaign_id}`}>Open</Link></dd>
                    </>
                  )}
                  <dt className="text-muted">Number</dt>
                  <dd className="font-mono text-xs">{data.direction === "inbound" ? data.from_number : data.to_number}</dd>
                </dl>
              </Panel>
              <Panel title="Compliance audit">
                {findings === null ? (
                  <p className="text-sm text-muted">{data.end_time ? "No audit recorded for this call." : "The auditor reads the call when it ends."}</p>
                ) : findings.length === 0 ? (
                  <p className="text-sm text-success" data-testid="audit-clean">✓ No findings: disclosures, verification and offers were in order.</p>
                ) : (
                  <ul className="flex flex-col gap-2 text-sm" data-testid="audit-findings">
                    {findings.map((finding, index) => (
                      <li key={index} className="rounded-lg border border-danger/50 bg-danger/5 p-2">
                        <div className="font-medium text-danger">{humanize(finding.code)}{finding.sequence !== null ? ` · entry ${finding.sequence}` : ""}</div>
                        <div className="text-muted">{finding.message}</div>
                      </li>
                    ))}
                  </ul>
                )}
              </Panel>
            </div>
          </div>
        )}
      </QueryState>
    </div>
  );
}

function Timeline({ entries }: { entries: TranscriptEntryPublic[] }) {
  return (
    <ol className="flex flex-col gap-3" aria-label="Call timeline">
      {entries.map((entry) => (
        <li key={entry.id} className="flex gap-3">
          <span className="w-16 shrink-0 pt-1 text-right font-mono text-xs text-muted">{time(entry.timestamp)}</span>
          <TimelineEntry entry={entry} />
        </li>
      ))}
    </ol>
  );
}

function TimelineEntry({ entry }: { entry: TranscriptEntryPublic }) {
  switch (entry.entry_type) {
    case "transcript": {
      const agent = entry.speaker === "agent";
      return (
        <div className={`max-w-[80%] rounded-xl px-3 py-2 ${agent ? "bg-raised" : "border border-accent/40 bg-accent/5"}`}>
          <div className="text-xs font-semibold tracking-wide text-muted uppercase">{humanize(entry.speaker)}</div>
          <div>{entry.text}</div>
        </div>
      );
    }
    case "tool":
      return (
        <details className="w-full rounded-lg border border-border bg-raised/60 px-3 py-2 text-sm">
          <summary className="cursor-pointer">
            <span className="font-mono text-accent-text">⚙ {entry.tool_name}</span>
            <span className="ml-2 text-muted">{summarize(entry.tool_response)}</span>
          </summary>
          <div className="mt-2 grid gap-2 md:grid-cols-2">
            <Json label="Request" value={entry.tool_request} />
            <Json label="Response" value={entry.tool_response} />
          </div>
        </details>
      );
    case "guard":
      return (
        <div className="rounded-lg border border-warning/60 bg-warning/5 px-3 py-2 text-sm">
          <Badge tone="warning">Guard</Badge> <span className="ml-1">{entry.text ?? "The output guard held back agent text."}</span>
        </div>
      );
    case "dtmf":
      return <div className="text-sm text-muted">Keypad: <span className="font-mono">{entry.text ?? "•"}</span></div>;
    default:
      return (
        <div className="text-sm text-muted">
          <Badge>{humanize(entry.event_type ?? entry.entry_type)}</Badge> {entry.text}
        </div>
      );
  }
}

function summarize(value: Record<string, unknown> | null): string {
  if (!value) return "";
  for (const key of ["status", "verified", "allowed", "result", "message"]) {
    if (key in value) return `${key}: ${JSON.stringify(value[key])}`;
  }
  return "";
}

function Json({ label, value }: { label: string; value: unknown }) {
  return (
    <div>
      <div className="mb-1 text-xs text-muted">{label}</div>
      <pre className="max-h-48 overflow-auto rounded bg-bg p-2 font-mono text-xs">{JSON.stringify(value ?? {}, null, 2)}</pre>
    </div>
  );
}
