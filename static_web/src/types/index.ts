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

// PENDING (issue 5: campaigns) — mirrors shared/models/campaigns.py on the campaign helper's branch.
export type CampaignStatus = "draft" | "scheduled" | "running" | "paused" | "completed" | "canceled";
export type TargetStatus = "pending" | "waiting_window" | "dialing" | "in_call" | "done" | "blocked" | "exhausted" | "canceled";

export interface TacticShare {
  tactic_name: string;
  weight?: number;
}

export interface Targeting {
  segments?: string[];
  days_past_due_min?: number | null;
  days_past_due_max?: number | null;
  balance_min?: number | string | null;
  balance_max?: number | string | null;
  states?: string[];
  account_ids?: string[];
  customer_ids?: string[];
}

export interface CampaignSchedule {
  cron?: string | null;
  start_date?: string | null;
  end_date?: string | null;
  weekdays?: number[];
}

export interface CampaignCreate {
  name: string;
  description?: string;
  targeting?: Targeting;
  tactics: TacticShare[];
  schedule?: CampaignSchedule;
  max_concurrent_calls?: number;
  max_attempts_per_target?: number;
}

export interface CampaignPublic {
  id: string;
  organization_id: string;
  name: string;
  description: string;
  status: CampaignStatus;
  targeting: Targeting;
  tactics: TacticShare[];
  schedule: CampaignSchedule;
  max_concurrent_calls: number;
  max_attempts_per_target: number;
  instance_id: string | null;
  run_number: number;
  started_at: string | null;
  completed_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface CampaignTargetPublic {
  id: string;
  campaign_id: string;
  customer_id: string;
  account_id: string;
  tactic_name: string | null;
  status: TargetStatus;
  attempts: number;
  next_attempt_at: string | null;
  last_outcome: string | null;
  last_call_id: string | null;
  blocked_reasons: unknown[];
  updated_at: string;
}

export interface CampaignProgressPublic {
  campaign_id: string;
  status: CampaignStatus;
  run_number: number;
  total: number;
  counts: Record<string, number>;
  outcomes: Record<string, number>;
  attempts: number;
  percent_done: number;
}

export interface CampaignRunPublic {
  campaign: CampaignPublic;
  instance_id: string | null;
}

// PENDING (issue 4: API) — mirrors shared/models on the API helper's branch.
export interface AnalyticsMetrics {
  attempts: number;
  connects: number;
  conversations: number;
  right_party_contacts: number;
  promises: number;
  kept_promises: number;
  broken_promises: number;
  transfers: number;
  contained: number;
  compliance_blocks: number;
  guard_interventions: number;
  dollars_promised: string;
  dollars_collected: string;
  connect_rate: number | null;
  right_party_contact_rate: number | null;
  promise_to_pay_rate: number | null;
  kept_promise_rate: number | null;
  containment_rate: number | null;
  transfer_rate: number | null;
}

export interface AnalyticsGroup {
  key: string;
  label: string;
  metrics: AnalyticsMetrics;
}

export interface AnalyticsSummary {
  period_start: string;
  period_end: string;
  group_by: "day" | "tactic" | "campaign";
  totals: AnalyticsMetrics;
  groups: AnalyticsGroup[];
}

export interface ImportRejection {
  line: number;
  field: string | null;
  reason: string;
}

export interface CustomerImportReport {
  total_rows: number;
  created: number;
  rejected: ImportRejection[];
}

export interface PromptPreview {
  prompt_name: string;
  prompt_version: number;
  customer_id: string;
  tactic_name: string | null;
  tactic_version: number | null;
  variables: Record<string, string>;
  rendered: string;
}

export interface TestCallCreate {
  persona: string;
  customer_id?: string | null;
  tactic_name?: string | null;
  phone_number?: string | null;
}

export interface TestCallPublic {
  call_id: string;
  mode: "simulated" | "twilio";
  status: string;
  persona: string;
  customer_id: string | null;
  tactic_name: string | null;
}

export interface ComplianceCheck {
  allowed: boolean;
  reasons: string[];
  next_allowed_at: string | null;
  zones: string[];
}

// PENDING (issue 3: agent) — shared/models/findings.py on the agent helper's branch.
/** One violation the call auditor found; `sequence` points at the transcript entry (null: the whole call). */
export interface AuditFinding {
  code: string;
  message: string;
  sequence: number | null;
}
