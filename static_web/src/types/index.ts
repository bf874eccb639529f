// The UI's view of the API contract: the generated types (api.ts, from shared/models by `make types`) plus the
// few shapes that are not pydantic models there (the generic page, the compliance check's subset).
export * from "./api";

/** A page of a list: `{data, count, next_cursor}` (shared/models/common.py `Page[T]`). */
export interface Page<T> {
  data: T[];
  count: number;
  next_cursor: string | null;
}

/** What the UI reads of `GET /compliance/check` (shared/models/compliance.py `ComplianceDecision`). */
export interface ComplianceCheck {
  allowed: boolean;
  reasons: string[];
  next_allowed_at: string | null;
  zones: string[];
}

/** One violation the call auditor found (shared/models/findings.py), as a call's detail lists them. */
export type AuditFinding = import("./api").Finding;
