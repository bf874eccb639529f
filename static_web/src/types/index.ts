// The UI's view of the API contract: the generated types (api.ts, from shared/models) plus the few shapes
// that are not pydantic models there (the generic page) and those of endpoints whose models have not landed
// in shared/models yet (marked PENDING: replace with the generated type once `make types` emits it).
export * from "./api";

/** A page of a list: `{data, count, next_cursor}` (shared/models/common.py `Page[T]`). */
export interface Page<T> {
  data: T[];
  count: number;
  next_cursor: string | null;
}

// PENDING (issue 5: campaigns). Shapes follow docs/API.md.
export type CampaignStatus = "draft" | "scheduled" | "running" | "paused" | "completed" | "canceled";
export type TargetStatus =
  | "pending"
  | "waiting_window"
  | "dialing"
  | "in_call"
  | "done"
  | "blocked"
  | "exhausted"
  | "canceled";

export interface TacticShare {
  tactic_name: string;
  weight: number;
}

export interface CampaignTargeting {
  segments?: string[];
  min_days_past_due?: number | null;
  max_days_past_due?: number | null;
  min_balance?: number | string | null;
  max_balance?: number | string | null;
  states?: string[];
  customer_ids?: string[];
  limit?: number | null;
}

export interface CampaignSchedule {
  start_at?: string | null;
  end_at?: string | null;
  max_attempts_per_target?: number;
  max_concurrent_calls?: number;
}

export interface CampaignCreate {
  name: string;
  description?: string;
  targeting: CampaignTargeting;
  schedule?: CampaignSchedule;
  tactic_split: TacticShare[];
  simulated?: boolean;
}

export interface CampaignPublic {
  id: string;
  name: string;
  description?: string | null;
  status: CampaignStatus;
  targeting: CampaignTargeting;
  schedule?: CampaignSchedule | null;
  tactic_split: TacticShare[];
  simulated?: boolean;
  created_at: string;
  updated_at?: string;
  started_at?: string | null;
  completed_at?: string | null;
}

export interface CampaignProgressPublic {
  campaign_id: string;
  status?: CampaignStatus;
  total: number;
  counts: Record<string, number>;
  percent_done: number;
}

export interface CampaignTargetPublic {
  id: string;
  customer_id: string;
  customer_name?: string | null;
  status: TargetStatus;
  attempts?: number;
  outcome?: string | null;
  tactic_name?: string | null;
  next_attempt_at?: string | null;
  blocked_reason?: string | null;
}

// PENDING (issue 4: API).
export interface AnalyticsMetrics {
  attempts: number;
  connects?: number;
  connect_rate?: number;
  rpc_rate?: number;
  ptp_rate?: number;
  kept_promise_rate?: number;
  dollars_promised?: number | string;
  dollars_collected?: number | string;
  containment_rate?: number;
  transfers?: number;
  compliance_blocks?: number;
  guard_interventions?: number;
  outcomes?: Record<string, number>;
  [metric: string]: unknown;
}

export interface AnalyticsGroup extends AnalyticsMetrics {
  key: string;
  label?: string | null;
}

export interface AnalyticsSummary {
  from?: string;
  to?: string;
  group_by?: string;
  totals: AnalyticsMetrics;
  groups: AnalyticsGroup[];
}

export interface ImportRowError {
  line: number;
  field?: string | null;
  message: string;
  external_ref?: string | null;
}

export interface CustomerImportReport {
  created: number;
  updated?: number;
  skipped?: number;
  rejected: number;
  errors: ImportRowError[];
}

export interface ComplianceCheck {
  allowed: boolean;
  reasons: string[];
  next_allowed_at: string | null;
  zones: string[];
}

export interface PromptPreview {
  rendered: string;
  variables?: Record<string, unknown>;
}

/** Auditor findings on a call detail (issue 3's shared/policy/audit.py). */
export interface AuditFinding {
  rule: string;
  message: string;
  severity?: string;
  sequence?: number | null;
}
