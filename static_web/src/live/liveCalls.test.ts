import { describe, expect, it } from "vitest";
import type { CallDetail, LiveEvent } from "../types";
import { applyLiveEvent, mergeCallDetail, pruneEnded, type LiveCalls } from "./liveCalls";

const ORG = "00000000-0000-0000-0000-000000000001";
const CALL = "11111111-1111-1111-1111-111111111111";

function events(...list: LiveEvent[]): LiveCalls {
  return list.reduce(applyLiveEvent, {} as LiveCalls);
}

const started: LiveEvent = {
  type: "call.started",
  organization_id: ORG,
  at: "2026-11-02T15:00:00Z",
  call_id: CALL,
  customer_id: "c1",
  customer_name: "Jordan Ashgrove",
  direction: "outbound",
  campaign_id: "k1",
};

function said(sequence: number, text: string, speaker: "agent" | "customer" = "agent"): LiveEvent {
  return { type: "call.transcript", organization_id: ORG, at: `2026-11-02T15:00:0${sequence}Z`, call_id: CALL, sequence, speaker, text };
}

describe("the live-call board", () => {
  it("builds a call from its events: start, transcript in order, tools, end", () => {
    const state = events(
      started,
      said(2, "Yes, that's me.", "customer"),
      said(1, "Hello, may I speak with Jordan?"),
      { type: "call.tool", organization_id: ORG, at: "2026-11-02T15:00:03Z", call_id: CALL, sequence: 3, tool_name: "verify_identity", arguments: {}, result: { verified: true } },
      { type: "call.ended", organization_id: ORG, at: "2026-11-02T15:01:00Z", call_id: CALL, outcome: "promise_to_pay", duration_seconds: 60 },
    );
    const call = state[CALL]!;
    expect(call.customerName).toBe("Jordan Ashgrove");
    expect(call.campaignId).toBe("k1");
    expect(call.lines.map((line) => line.text)).toEqual(["Hello, may I speak with Jordan?", "Yes, that's me."]);
    expect(call.tools[0]).toMatchObject({ name: "verify_identity", result: { verified: true } });
    expect(call.ended).toMatchObject({ outcome: "promise_to_pay", durationSeconds: 60 });
  });

  it("ignores a repeated event (the same sequence twice)", () => {
    const state = events(started, said(1, "Hello"), said(1, "Hello"));
    expect(state[CALL]!.lines).toHaveLength(1);
  });

  it("shows a call whose start it missed (joined mid-call)", () => {
    const state = events(said(4, "…so the plan starts Friday."));
    expect(state[CALL]!.lines).toHaveLength(1);
    expect(state[CALL]!.customerName).toBeNull();
  });

  it("leaves campaign progress to the campaign page", () => {
    const before = events(started);
    const after = applyLiveEvent(before, {
      type: "campaign.progress", organization_id: ORG, at: "2026-11-02T15:00:00Z", campaign_id: "k1", total: 3, counts: {}, percent_done: 33.3,
    });
    expect(after).toBe(before);
  });

  it("merges a refetched call record with what live events said", () => {
    const state = events(started, said(1, "Hello"));
    const detail = {
      id: CALL, customer_id: "c1", direction: "outbound", campaign_id: "k1", start_time: "2026-11-02T15:00:00Z",
      end_time: null, outcome: null, duration_seconds: null, updated_at: "2026-11-02T15:00:09Z",
      transcript: [
        { id: "e0", sequence: 0, timestamp: "2026-11-02T15:00:00Z", entry_type: "event", speaker: null, text: null, tool_name: null, tool_request: null, tool_response: null, event_type: "call_started" },
        { id: "e1", sequence: 1, timestamp: "2026-11-02T15:00:01Z", entry_type: "transcript", speaker: "agent", text: "Hello", tool_name: null, tool_request: null, tool_response: null, event_type: null },
        { id: "e2", sequence: 2, timestamp: "2026-11-02T15:00:02Z", entry_type: "transcript", speaker: "customer", text: "Hi", tool_name: null, tool_request: null, tool_response: null, event_type: null },
      ],
    } as unknown as CallDetail;
    const call = mergeCallDetail(state, detail)[CALL]!;
    expect(call.lines.map((line) => line.text)).toEqual(["Hello", "Hi"]);
    expect(call.customerName).toBe("Jordan Ashgrove");
    expect(call.ended).toBeNull();
  });

  it("drops calls that ended before the cutoff and keeps the rest", () => {
    const state = events(started, { type: "call.ended", organization_id: ORG, at: "2026-11-02T15:01:00Z", call_id: CALL, outcome: "refused", duration_seconds: 5 });
    expect(pruneEnded(state, Date.parse("2026-11-02T15:00:30Z"))).toBe(state);
    expect(pruneEnded(state, Date.parse("2026-11-02T15:02:00Z"))).toEqual({});
  });
});
