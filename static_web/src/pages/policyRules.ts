// The negotiation policy form's checks, mirroring shared/models/configuration.py so mistakes show while
// typing; the server's answer (problem+json field errors) is still what decides.
import type { NegotiationRules } from "../types";

export interface RulesDraft {
  settlement_floors: { min_days_past_due: string; floor_pct: string }[];
  allow_settlement: boolean;
  min_down_payment_pct: string;
  max_installments: string;
  min_installment_amount: string;
  max_days_to_first_payment: string;
  hardship: null | { max_installments: string; min_installment_amount: string; max_days_to_first_payment: string };
}

export function toDraft(rules: NegotiationRules): RulesDraft {
  return {
    settlement_floors: rules.settlement_floors.map((floor) => ({ min_days_past_due: String(floor.min_days_past_due), floor_pct: String(floor.floor_pct) })),
    allow_settlement: rules.allow_settlement ?? true,
    min_down_payment_pct: String(rules.min_down_payment_pct),
    max_installments: String(rules.max_installments),
    min_installment_amount: String(rules.min_installment_amount),
    max_days_to_first_payment: String(rules.max_days_to_first_payment),
    hardship: rules.hardship
      ? {
          max_installments: String(rules.hardship.max_installments),
          min_installment_amount: String(rules.hardship.min_installment_amount),
          max_days_to_first_payment: String(rules.hardship.max_days_to_first_payment),
        }
      : null,
  };
}

export function toRules(draft: RulesDraft) {
  return {
    settlement_floors: draft.settlement_floors.map((floor) => ({ min_days_past_due: Number(floor.min_days_past_due), floor_pct: floor.floor_pct })),
    allow_settlement: draft.allow_settlement,
    min_down_payment_pct: draft.min_down_payment_pct,
    max_installments: Number(draft.max_installments),
    min_installment_amount: draft.min_installment_amount,
    max_days_to_first_payment: Number(draft.max_days_to_first_payment),
    hardship: draft.hardship
      ? {
          max_installments: Number(draft.hardship.max_installments),
          min_installment_amount: draft.hardship.min_installment_amount,
          max_days_to_first_payment: Number(draft.hardship.max_days_to_first_payment),
        }
      : null,
  };
}

function integer(value: string, min: number, max: number): string | null {
  if (!/^\d+$/.test(value.trim())) return "must be a whole number";
  const n = Number(value);
  return n < min || n > max ? `must be between ${min} and ${max}` : null;
}

function amount(value: string): string | null {
  if (!/^\d+(\.\d{1,2})?$/.test(value.trim())) return "must be an amount like 25 or 25.00";
  return null;
}

function pct(value: string, allowZero: boolean): string | null {
  if (!/^\d+(\.\d{1,2})?$/.test(value.trim())) return "must be a percentage with at most 2 decimals";
  const n = Number(value);
  if (n > 100) return "must be at most 100";
  if (!allowZero && n <= 0) return "must be more than 0";
  return null;
}

/** Field path (as the API names it) → message. */
export function validateRules(draft: RulesDraft): Record<string, string> {
  const errors: Record<string, string> = {};
  const put = (field: string, message: string | null) => {
    if (message && !(field in errors)) errors[field] = message;
  };
  if (draft.settlement_floors.length === 0) put("rules.settlement_floors", "add at least one settlement floor");
  draft.settlement_floors.forEach((floor, index) => {
    put(`rules.settlement_floors.${index}.min_days_past_due`, integer(floor.min_days_past_due, 0, 10_000));
    put(`rules.settlement_floors.${index}.floor_pct`, pct(floor.floor_pct, false));
  });
  const days = draft.settlement_floors.map((floor) => Number(floor.min_days_past_due));
  if (new Set(days).size !== days.length) put("rules.settlement_floors", "settlement floors must not repeat days past due");
  else if (days.length && Math.min(...days) !== 0) put("rules.settlement_floors", "settlement floors must start at 0 days past due");
  put("rules.min_down_payment_pct", pct(draft.min_down_payment_pct, true));
  put("rules.max_installments", integer(draft.max_installments, 1, 120));
  put("rules.min_installment_amount", amount(draft.min_installment_amount));
  put("rules.max_days_to_first_payment", integer(draft.max_days_to_first_payment, 0, 120));
  if (draft.hardship) {
    put("rules.hardship.max_installments", integer(draft.hardship.max_installments, 1, 120));
    put("rules.hardship.min_installment_amount", amount(draft.hardship.min_installment_amount));
    put("rules.hardship.max_days_to_first_payment", integer(draft.hardship.max_days_to_first_payment, 0, 120));
  }
  return errors;
}
