// Small building blocks every page uses: buttons, panels, badges, and the loading / empty / error states
// that every list shows.
import type { ButtonHTMLAttributes, ReactNode } from "react";
import { errorMessage } from "../api/client";
import { humanize } from "../lib/format";

type Variant = "primary" | "secondary" | "ghost" | "danger";

const VARIANTS: Record<Variant, string> = {
  primary: "bg-accent text-on-accent font-semibold hover:brightness-110 glow",
  secondary: "bg-raised text-text border border-border hover:border-accent",
  ghost: "text-muted hover:text-text hover:bg-raised",
  danger: "bg-raised text-danger border border-danger/60 hover:bg-danger/10",
};

export function Button({
  variant = "secondary",
  busy = false,
  className = "",
  children,
  disabled,
  ...props
}: ButtonHTMLAttributes<HTMLButtonElement> & { variant?: Variant; busy?: boolean }) {
  return (
    <button
      type="button"
      {...props}
      disabled={disabled || busy}
      aria-busy={busy || undefined}
      className={`inline-flex items-center justify-center gap-2 rounded-lg px-3.5 py-2 text-sm transition disabled:cursor-not-allowed disabled:opacity-50 ${VARIANTS[variant]} ${className}`}
    >
      {busy && <Spinner small />}
      {children}
    </button>
  );
}

export function Panel({
  title,
  actions,
  children,
  className = "",
}: {
  title?: ReactNode;
  actions?: ReactNode;
  children: ReactNode;
  className?: string;
}) {
  return (
    <section className={`panel p-5 ${className}`}>
      {(title || actions) && (
        <header className="mb-4 flex items-center justify-between gap-3">
          {title && <h2 className="text-base font-semibold">{title}</h2>}
          {actions && <div className="flex items-center gap-2">{actions}</div>}
        </header>
      )}
      {children}
    </section>
  );
}

export function PageHeader({ title, subtitle, actions }: { title: string; subtitle?: ReactNode; actions?: ReactNode }) {
  return (
    <div className="mb-6 flex flex-wrap items-end justify-between gap-4">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight">{title}</h1>
        {subtitle && <p className="mt-1 text-muted">{subtitle}</p>}
      </div>
      {actions && <div className="flex flex-wrap items-center gap-2">{actions}</div>}
    </div>
  );
}

export function Spinner({ small = false }: { small?: boolean }) {
  const size = small ? "h-3.5 w-3.5" : "h-5 w-5";
  return (
    <span
      aria-hidden="true"
      className={`${size} inline-block animate-spin rounded-full border-2 border-accent border-t-transparent`}
    />
  );
}

export function LoadingState({ label = "Loading…" }: { label?: string }) {
  return (
    <div role="status" className="flex items-center justify-center gap-3 py-12 text-muted">
      <Spinner />
      <span>{label}</span>
    </div>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="flex flex-col items-center justify-center gap-2 py-12 text-center" data-testid="empty-state">
      <div className="text-3xl text-muted" aria-hidden="true">
        ◌
      </div>
      <p className="font-medium">{title}</p>
      {children && <div className="max-w-md text-muted">{children}</div>}
    </div>
  );
}

export function ErrorState({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  return (
    <div role="alert" className="flex flex-col items-center justify-center gap-3 py-10 text-center">
      <p className="font-medium text-danger">Could not load this.</p>
      <p className="max-w-lg text-muted">{errorMessage(error)}</p>
      {onRetry && (
        <Button onClick={onRetry} variant="secondary">
          Try again
        </Button>
      )}
    </div>
  );
}

/** The three states of anything fetched, then its content. */
export function QueryState({
  isPending,
  error,
  refetch,
  isEmpty,
  empty,
  children,
}: {
  isPending: boolean;
  error: unknown;
  refetch?: () => unknown;
  isEmpty?: boolean;
  empty?: ReactNode;
  children: ReactNode;
}) {
  if (isPending) return <LoadingState />;
  if (error) return <ErrorState error={error} onRetry={refetch ? () => void refetch() : undefined} />;
  if (isEmpty) return <>{empty ?? <EmptyState title="Nothing here yet" />}</>;
  return <>{children}</>;
}

type Tone = "neutral" | "accent" | "success" | "warning" | "danger";

const TONES: Record<Tone, string> = {
  neutral: "text-muted border-border",
  accent: "text-accent-text border-accent/50",
  success: "text-success border-success/50",
  warning: "text-warning border-warning/50",
  danger: "text-danger border-danger/50",
};

export function Badge({ tone = "neutral", children }: { tone?: Tone; children: ReactNode }) {
  return (
    <span className={`inline-flex items-center gap-1 rounded-full border px-2 py-0.5 text-xs font-medium ${TONES[tone]}`}>
      {children}
    </span>
  );
}

const OUTCOME_TONES: Record<string, Tone> = {
  payment: "success",
  promise_to_pay: "success",
  payment_plan: "success",
  callback_scheduled: "accent",
  transferred: "accent",
  hardship: "warning",
  dispute: "warning",
  voicemail: "neutral",
  refused: "danger",
  wrong_party: "neutral",
  unknown_party: "neutral",
  failed_verification: "danger",
  cease_requested: "warning",
  bankruptcy: "warning",
  deceased: "neutral",
  inconvenient_time: "accent",
  abandoned: "danger",
};

export function OutcomeBadge({ outcome }: { outcome: string | null | undefined }) {
  if (!outcome) return <Badge>—</Badge>;
  return <Badge tone={OUTCOME_TONES[outcome] ?? "neutral"}>{humanize(outcome)}</Badge>;
}

const STATUS_TONES: Record<string, Tone> = {
  in_progress: "accent",
  ringing: "accent",
  running: "accent",
  dialing: "accent",
  in_call: "accent",
  completed: "success",
  done: "success",
  paused: "warning",
  waiting_window: "warning",
  scheduled: "warning",
  failed: "danger",
  blocked: "danger",
  canceled: "neutral",
  busy: "warning",
  no_answer: "neutral",
};

export function StatusBadge({ status }: { status: string | null | undefined }) {
  return <Badge tone={STATUS_TONES[status ?? ""] ?? "neutral"}>{humanize(status)}</Badge>;
}

export function ProgressBar({ value, label }: { value: number; label?: string }) {
  const pct = Math.max(0, Math.min(100, value));
  return (
    <div>
      <div
        role="progressbar"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round(pct)}
        aria-label={label ?? "Progress"}
        className="h-2.5 w-full overflow-hidden rounded-full bg-raised"
      >
        <div className="h-full rounded-full bg-accent transition-[width] duration-500" style={{ width: `${pct}%` }} />
      </div>
    </div>
  );
}

export function KpiCard({ label, value, hint }: { label: string; value: ReactNode; hint?: ReactNode }) {
  return (
    <div className="panel p-4">
      <div className="text-xs font-medium tracking-wide text-muted uppercase">{label}</div>
      <div className="mt-1.5 text-2xl font-semibold tabular-nums">{value}</div>
      {hint && <div className="mt-1 text-xs text-muted">{hint}</div>}
    </div>
  );
}

export function Table({ children, label }: { children: ReactNode; label: string }) {
  return (
    <div className="overflow-x-auto">
      <table aria-label={label} className="w-full border-collapse text-left text-sm">
        {children}
      </table>
    </div>
  );
}

export const th = "border-b border-border px-3 py-2 text-xs font-medium tracking-wide text-muted uppercase";
export const td = "border-b border-border/60 px-3 py-2.5 align-top";
