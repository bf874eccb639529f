// Stacked bar charts in plain SVG: outcomes by day and by tactic. Hand-drawn rather than a chart library to
// keep the dashboard inside its JavaScript budget; colors come from the theme's CSS variables.
import { humanize } from "../lib/format";

export interface OutcomeGroup {
  key: string;
  label: string;
  color: string;
  outcomes: readonly string[];
}

/** Outcomes grouped the way a collections manager reads them. */
export const OUTCOME_GROUPS: readonly OutcomeGroup[] = [
  { key: "resolved", label: "Paid or promised", color: "var(--color-success)", outcomes: ["payment", "promise_to_pay", "payment_plan"] },
  { key: "followup", label: "Callback or transfer", color: "var(--color-accent)", outcomes: ["callback_scheduled", "inconvenient_time", "transferred"] },
  { key: "care", label: "Hardship, dispute, cease", color: "var(--color-warning)", outcomes: ["hardship", "dispute", "cease_requested", "bankruptcy", "deceased"] },
  { key: "refused", label: "Refused or not verified", color: "var(--color-danger)", outcomes: ["refused", "failed_verification", "abandoned"] },
  { key: "nocontact", label: "No contact", color: "var(--color-muted)", outcomes: ["voicemail", "wrong_party", "unknown_party"] },
];

export function groupOf(outcome: string | null | undefined): string {
  return OUTCOME_GROUPS.find((group) => outcome && group.outcomes.includes(outcome))?.key ?? "nocontact";
}

export interface BarRow {
  label: string;
  counts: Record<string, number>;
}

export function StackedBars({ rows, title, emptyText = "No finished calls in this period." }: { rows: BarRow[]; title: string; emptyText?: string }) {
  const totals = rows.map((row) => Object.values(row.counts).reduce((sum, n) => sum + n, 0));
  const max = Math.max(1, ...totals);
  const barHeight = 22;
  const gap = 10;
  const labelWidth = 120;
  const width = 560;
  const chartWidth = width - labelWidth - 48;
  const height = rows.length * (barHeight + gap);
  if (rows.length === 0 || totals.every((total) => total === 0)) {
    return <p className="py-8 text-center text-muted">{emptyText}</p>;
  }
  return (
    <figure aria-label={title}>
      <svg viewBox={`0 0 ${width} ${height}`} className="w-full" role="img" aria-label={title}>
        {rows.map((row, index) => {
          const y = index * (barHeight + gap);
          let x = labelWidth;
          return (
            <g key={row.label}>
              <text x={labelWidth - 10} y={y + barHeight / 2 + 4} textAnchor="end" fontSize="12" fill="var(--color-muted)">
                {row.label.length > 18 ? `${row.label.slice(0, 17)}…` : row.label}
              </text>
              <rect x={labelWidth} y={y} width={chartWidth} height={barHeight} rx="4" fill="var(--color-raised)" />
              {OUTCOME_GROUPS.map((group) => {
                const count = row.counts[group.key] ?? 0;
                if (!count) return null;
                const w = (count / max) * chartWidth;
                const rect = (
                  <rect key={group.key} x={x} y={y} width={w} height={barHeight} fill={group.color} rx="2">
                    <title>{`${row.label} · ${group.label}: ${count}`}</title>
                  </rect>
                );
                x += w;
                return rect;
              })}
              <text x={x + 8} y={y + barHeight / 2 + 4} fontSize="12" fill="var(--color-text)">
                {totals[index]}
              </text>
            </g>
          );
        })}
      </svg>
      <figcaption className="mt-3 flex flex-wrap gap-x-4 gap-y-1 text-xs text-muted">
        {OUTCOME_GROUPS.map((group) => (
          <span key={group.key} className="inline-flex items-center gap-1.5" title={group.outcomes.map(humanize).join(", ")}>
            <span className="inline-block h-2.5 w-2.5 rounded-sm" style={{ background: group.color }} />
            {group.label}
          </span>
        ))}
      </figcaption>
    </figure>
  );
}
