// A test call over the agent's Line websocket protocol, as the Cartesia harness speaks it: a `start` frame
// with the call's metadata, then each customer turn as `user_state: speaking` → `message` → `user_state: idle`;
// the agent answers with `message` chunks closed by `response_end`, and `tool_call`, `transfer`, `end_call`.
import { useCallback, useEffect, useReducer, useRef } from "react";

export type ChatStatus = "idle" | "connecting" | "open" | "ended" | "error";

export interface ChatTurn {
  id: number;
  speaker: "agent" | "customer" | "system";
  text: string;
  complete: boolean;
}

export interface ChatTool {
  id: number;
  /** The agent's tool-call id: the "called" and "returned" frames of one call share it. */
  callId: string | null;
  name: string;
  arguments: Record<string, unknown>;
  result: unknown;
}

export interface ChatState {
  status: ChatStatus;
  callId: string | null;
  turns: ChatTurn[];
  tools: ChatTool[];
  error: string | null;
  endReason: string | null;
}

export const INITIAL_CHAT: ChatState = { status: "idle", callId: null, turns: [], tools: [], error: null, endReason: null };

/** A frame the agent sends (line/_harness_types.py OutputMessage). */
export type AgentFrame =
  | { type: "message"; content: string }
  | { type: "tool_call"; name: string; id?: string | null; arguments?: Record<string, unknown>; result?: string | null }
  | { type: "transfer"; transfer_destination?: { type: string; value: string } }
  | { type: "end_call"; reason?: string | null }
  | { type: "response_end" }
  | { type: "error"; content: string }
  | { type: string; [key: string]: unknown };

export type ChatAction =
  | { kind: "connecting"; callId: string }
  | { kind: "open" }
  | { kind: "frame"; frame: AgentFrame }
  | { kind: "said"; text: string }
  | { kind: "closed" }
  | { kind: "failed"; error: string }
  | { kind: "reset" };

let nextId = 1;

function parseResult(result: unknown): unknown {
  if (typeof result !== "string") return result ?? null;
  try {
    return JSON.parse(result);
  } catch {
    return result;
  }
}

export function chatReducer(state: ChatState, action: ChatAction): ChatState {
  switch (action.kind) {
    case "reset":
      return INITIAL_CHAT;
    case "connecting":
      return { ...INITIAL_CHAT, status: "connecting", callId: action.callId };
    case "open":
      return { ...state, status: "open" };
    case "said":
      return {
        ...state,
        turns: [...state.turns.map((t) => ({ ...t, complete: true })), { id: nextId++, speaker: "customer", text: action.text, complete: true }],
      };
    case "closed":
      return state.status === "error" || state.status === "ended" ? state : { ...state, status: "ended" };
    case "failed":
      return { ...state, status: "error", error: action.error };
    case "frame": {
      const frame = action.frame;
      switch (frame.type) {
        case "message": {
          const content = String((frame as { content: string }).content ?? "");
          const last = state.turns[state.turns.length - 1];
          if (last && last.speaker === "agent" && !last.complete) {
            const joined = last.text && !/\s$/.test(last.text) && !/^\s/.test(content) ? `${last.text} ${content}` : last.text + content;
            return { ...state, turns: [...state.turns.slice(0, -1), { ...last, text: joined }] };
          }
          return { ...state, turns: [...state.turns, { id: nextId++, speaker: "agent", text: content, complete: false }] };
        }
        case "response_end":
          return { ...state, turns: state.turns.map((t) => ({ ...t, complete: true })) };
        case "tool_call": {
          // Line sends a tool call twice: when called (no result) and when it returns (same id, a result).
          const tool = frame as { name: string; id?: string | null; arguments?: Record<string, unknown>; result?: unknown };
          const callId = tool.id ?? null;
          const known = callId ? state.tools.findIndex((t) => t.callId === callId) : -1;
          const entry = { name: tool.name, callId, arguments: tool.arguments ?? {}, result: parseResult(tool.result) };
          if (known >= 0) {
            const merged = { ...state.tools[known]!, ...entry, result: entry.result ?? state.tools[known]!.result };
            return { ...state, tools: state.tools.map((t, i) => (i === known ? merged : t)) };
          }
          return { ...state, tools: [...state.tools, { id: nextId++, ...entry }] };
        }
        case "transfer": {
          const destination = (frame as { transfer_destination?: { value: string } }).transfer_destination?.value ?? "a person";
          return { ...state, turns: [...state.turns, { id: nextId++, speaker: "system", text: `Transferred to ${destination}`, complete: true }] };
        }
        case "end_call": {
          const reason = (frame as { reason?: string | null }).reason ?? null;
          return { ...state, status: "ended", endReason: reason, turns: [...state.turns.map((t) => ({ ...t, complete: true })), { id: nextId++, speaker: "system", text: "The agent ended the call", complete: true }] };
        }
        case "error":
          return { ...state, status: "error", error: String((frame as { content: string }).content ?? "agent error") };
        default:
          return state;
      }
    }
  }
}

export interface StartOptions {
  url: string;
  /** The operator's API key: the agent host admits the test call with it and pins it to the key's organization. */
  apiKey?: string | null;
  customerId: string;
  organizationId?: string;
  customerPhone?: string;
  tacticName?: string;
  callerId?: string;
}

export function useAgentChat() {
  const [state, dispatch] = useReducer(chatReducer, INITIAL_CHAT);
  const socket = useRef<WebSocket | null>(null);

  const hangUp = useCallback(() => {
    socket.current?.close(1000, "operator hung up");
    socket.current = null;
  }, []);

  useEffect(() => hangUp, [hangUp]);

  const start = useCallback(
    (options: StartOptions) => {
      hangUp();
      const callId = crypto.randomUUID();
      dispatch({ kind: "connecting", callId });
      const ws = new WebSocket(options.url);
      socket.current = ws;
      ws.onopen = () => {
        ws.send(
          JSON.stringify({
            type: "start",
            call_id: callId,
            from: options.callerId ?? "+15555550100",
            to: options.customerPhone ?? "unknown",
            agent: { id: "archer-admin-test-call" },
            // The agent host reads the call's id, organization, customer and tactic from the metadata.
            metadata: {
              call_id: callId,
              organization_id: options.organizationId,
              customer_id: options.customerId,
              tactic_name: options.tacticName,
              call_type: "test",
              direction: "outbound",
              source: "admin_ui",
              // In the start frame, not the URL: browsers cannot set websocket headers, and URLs are logged.
              ...(options.apiKey ? { api_key: options.apiKey } : {}),
            },
          }),
        );
        dispatch({ kind: "open" });
      };
      let spoken: string[] = [];
      ws.onmessage = (message: MessageEvent<string>) => {
        let frame: AgentFrame;
        try {
          frame = JSON.parse(message.data) as AgentFrame;
        } catch {
          return; // not a protocol frame
        }
        dispatch({ kind: "frame", frame });
        if (frame.type === "message") spoken.push(String((frame as { content: string }).content ?? ""));
        if (frame.type === "response_end" && spoken.length > 0 && ws.readyState === WebSocket.OPEN) {
          // What the harness sends as text-to-speech plays the words: the Line SDK builds the agent's own
          // history from these acknowledgements, so an LLM brain remembers what it said.
          ws.send(JSON.stringify({ type: "agent_state", value: "speaking" }));
          for (const content of spoken) ws.send(JSON.stringify({ type: "agent_speech", content }));
          ws.send(JSON.stringify({ type: "agent_state", value: "idle" }));
          spoken = [];
        }
      };
      ws.onerror = () => dispatch({ kind: "failed", error: "The agent could not be reached." });
      ws.onclose = () => {
        if (socket.current === ws) socket.current = null;
        dispatch({ kind: "closed" });
      };
    },
    [hangUp],
  );

  const say = useCallback((text: string) => {
    const ws = socket.current;
    if (!ws || ws.readyState !== WebSocket.OPEN || !text.trim()) return;
    ws.send(JSON.stringify({ type: "user_state", value: "speaking" }));
    ws.send(JSON.stringify({ type: "message", content: text.trim() }));
    ws.send(JSON.stringify({ type: "user_state", value: "idle" }));
    dispatch({ kind: "said", text: text.trim() });
  }, []);

  const press = useCallback((button: string) => {
    const ws = socket.current;
    if (ws?.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: "dtmf", button }));
  }, []);

  return { state, start, say, press, hangUp };
}
