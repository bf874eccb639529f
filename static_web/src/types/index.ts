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

export interface ComplianceCheck {
  allowed: boolean;
  reasons: string[];
  next_allowed_at: string | null;
  zones: string[];
}

/** One violation the call auditor found (shared/models/findings.py), as a call's detail lists them. */
export type AuditFinding = import("./api").Finding;
