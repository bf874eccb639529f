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

/** One violation the call auditor found (shared/models/findings.py), as a call's detail lists them. */
export type AuditFinding = import("./api").Finding;
