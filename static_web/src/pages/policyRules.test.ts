import { describe, expect, it } from "vitest";
import { toDraft, toRules, validateRules } from "./policyRules";
import type { NegotiationRules } from "../types";

const RULES: NegotiationRules = {
  settlement_floors: [
    { min_days_past_due: 0, floor_pct: "90.00" },
    { min_days_past_due: 90, floor_pct: "70.00" },
  ],
  allow_settlement: true,
  min_down_payment_pct: "10.00",
  max_installments: 12,
  min_installment_amount: "25.00",
  max_days_to_first_payment: 30,
  hardship: null,
};

describe("negotiation policy validation", () => {
  it("accepts the policy it loaded and round-trips it", () => {
    const draft = toDraft(RULES);
    expect(validateRules(draft)).toEqual({});
    expect(toRules(draft)).toMatchObject({ max_installments: 12, settlement_floors: [{ min_days_past_due: 0, floor_pct: "90.00" }, { min_days_past_due: 90, floor_pct: "70.00" }] });
  });

  it("names each wrong value by the API's field path", () => {
    const draft = toDraft(RULES);
    draft.max_installments = "0";
    draft.min_installment_amount = "ten";
    draft.settlement_floors[1]!.floor_pct = "120";
    draft.hardship = { max_installments: "500", min_installment_amount: "5", max_days_to_first_payment: "10" };
    expect(validateRules(draft)).toEqual({
      "rules.max_installments": "must be between 1 and 120",
      "rules.min_installment_amount": "must be an amount like 25 or 25.00",
      "rules.settlement_floors.1.floor_pct": "must be at most 100",
      "rules.hardship.max_installments": "must be between 1 and 120",
    });
  });

  it("requires floors that start at 0 days and never repeat", () => {
    const draft = toDraft(RULES);
    draft.settlement_floors[0]!.min_days_past_due = "30";
    expect(validateRules(draft)["rules.settlement_floors"]).toMatch(/start at 0/);
    draft.settlement_floors[0]!.min_days_past_due = "90";
    expect(validateRules(draft)["rules.settlement_floors"]).toMatch(/not repeat/);
    draft.settlement_floors = [];
    expect(validateRules(draft)["rules.settlement_floors"]).toMatch(/at least one/);
  });
});
