import { describe, expect, it } from "vitest";
import { chatReducer, INITIAL_CHAT, type ChatAction, type ChatState } from "./agentChat";

function run(...actions: ChatAction[]): ChatState {
  return actions.reduce(chatReducer, INITIAL_CHAT);
}

describe("the test-call conversation", () => {
  it("joins the agent's message chunks into one turn until response_end", () => {
    const state = run(
      { kind: "connecting", callId: "call-1" },
      { kind: "open" },
      { kind: "frame", frame: { type: "message", content: "Hello, this is Alex" } },
      { kind: "frame", frame: { type: "message", content: "calling for Jordan." } },
      { kind: "frame", frame: { type: "response_end" } },
      { kind: "said", text: "Yes, speaking." },
      { kind: "frame", frame: { type: "message", content: "Thanks." } },
    );
    expect(state.status).toBe("open");
    expect(state.callId).toBe("call-1");
    expect(state.turns.map((turn) => [turn.speaker, turn.text])).toEqual([
      ["agent", "Hello, this is Alex calling for Jordan."],
      ["customer", "Yes, speaking."],
      ["agent", "Thanks."],
    ]);
  });

  it("lists tool calls with their results parsed, one entry per call however many frames it takes", () => {
    const state = run(
      { kind: "frame", frame: { type: "tool_call", name: "verify_identity", id: "t1", arguments: { last4: "4321" } } },
      { kind: "frame", frame: { type: "tool_call", name: "verify_identity", id: "t1", arguments: { last4: "4321" }, result: '{"verified": true}' } },
      { kind: "frame", frame: { type: "tool_call", name: "give_disclosures", id: "t2", arguments: {}, result: "done" } },
    );
    expect(state.tools).toHaveLength(2);
    expect(state.tools[0]).toMatchObject({ name: "verify_identity", arguments: { last4: "4321" }, result: { verified: true } });
    expect(state.tools[1]).toMatchObject({ name: "give_disclosures", result: "done" });
  });

  it("ends on end_call, reports transfers and agent errors", () => {
    expect(run({ kind: "open" }, { kind: "frame", frame: { type: "end_call", reason: "agent_ended" } })).toMatchObject({ status: "ended", endReason: "agent_ended" });
    expect(run({ kind: "frame", frame: { type: "transfer", transfer_destination: { type: "phone", value: "+16025550100" } } }).turns[0]?.text).toBe("Transferred to +16025550100");
    expect(run({ kind: "frame", frame: { type: "error", content: "boom" } })).toMatchObject({ status: "error", error: "boom" });
  });

  it("keeps an error when the socket then closes", () => {
    expect(run({ kind: "failed", error: "unreachable" }, { kind: "closed" }).status).toBe("error");
    expect(run({ kind: "open" }, { kind: "closed" }).status).toBe("ended");
  });
});
