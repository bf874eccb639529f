// The live-call board's state: calls in progress with their transcript and tool calls, built from live events
// (and from a refetch after a reconnect). A pure reducer, so it is tested without a socket.
import type { CallDetail, LiveEvent } from "../types";

export interface LiveLine {
  sequence: number;
  speaker: string;
  text: string;
  at: string;
}

export interface LiveToolCall {
  sequence: number;
  name: string;
  arguments: Record<string, unknown>;
  result: Record<string, unknown>;
  at: string;
}

export interface LiveCall {
  id: string;
  customerId: string | null;
  customerName: string | null;
  direction: string;
  campaignId: string | null;
  startedAt: string;
  lines: LiveLine[];
  tools: LiveToolCall[];
  ended: { outcome: string | null; durationSeconds: number | null; at: string } | null;
}

export type LiveCalls = Record<string, LiveCall>;

function blank(id: string, at: string): LiveCall {
  return {
    id,
    customerId: null,
    customerName: null,
    direction: "outbound",
    campaignId: null,
    startedAt: at,
    lines: [],
    tools: [],
    ended: null,
  };
}

function insertBySequence<T extends { sequence: number }>(items: T[], item: T): T[] {
  if (items.some((existing) => existing.sequence === item.sequence)) return items;
  const next = [...items, item];
  next.sort((a, b) => a.sequence - b.sequence);
  return next;
}

export function applyLiveEvent(state: LiveCalls, event: LiveEvent): LiveCalls {
  if (event.type === "campaign.progress") return state;
  const current = state[event.call_id] ?? blank(event.call_id, event.at);
  let next: LiveCall;
  switch (event.type) {
    case "call.started":
      next = {
        ...current,
        customerId: event.customer_id,
        customerName: event.customer_name,
        direction: event.direction,
        campaignId: event.campaign_id ?? null,
        startedAt: event.at,
      };
      break;
    case "call.transcript":
      next = {
        ...current,
        lines: insertBySequence(current.lines, {
          sequence: event.sequence,
          speaker: event.speaker,
          text: event.text,
          at: event.at,
        }),
      };
      break;
    case "call.tool":
      next = {
        ...current,
        tools: insertBySequence(current.tools, {
          sequence: event.sequence,
          name: event.tool_name,
          arguments: event.arguments ?? {},
          result: event.result ?? {},
          at: event.at,
        }),
      };
      break;
    case "call.ended":
      next = {
        ...current,
        ended: { outcome: event.outcome, durationSeconds: event.duration_seconds, at: event.at },
      };
      break;
  }
  return { ...state, [event.call_id]: next };
}

/** A call as the API has it (after a refetch), merged with what live events already said. */
export function mergeCallDetail(state: LiveCalls, detail: CallDetail, customerName?: string | null): LiveCalls {
  const current = state[detail.id] ?? blank(detail.id, detail.start_time);
  let lines = current.lines;
  let tools = current.tools;
  for (const entry of detail.transcript) {
    if (entry.entry_type === "transcript" && entry.text) {
      lines = insertBySequence(lines, {
        sequence: entry.sequence,
        speaker: entry.speaker ?? "system",
        text: entry.text,
        at: entry.timestamp,
      });
    } else if (entry.entry_type === "tool" && entry.tool_name) {
      tools = insertBySequence(tools, {
        sequence: entry.sequence,
        name: entry.tool_name,
        arguments: entry.tool_request ?? {},
        result: entry.tool_response ?? {},
        at: entry.timestamp,
      });
    }
  }
  const finished = detail.end_time !== null || detail.outcome !== null;
  return {
    ...state,
    [detail.id]: {
      ...current,
      customerId: detail.customer_id,
      customerName: current.customerName ?? customerName ?? null,
      direction: detail.direction,
      campaignId: detail.campaign_id,
      startedAt: detail.start_time,
      lines,
      tools,
      ended:
        current.ended ??
        (finished
          ? { outcome: detail.outcome, durationSeconds: detail.duration_seconds, at: detail.end_time ?? detail.updated_at }
          : null),
    },
  };
}

/** Drops calls that ended before `cutoff` (ISO time), keeping the board to what is happening. */
export function pruneEnded(state: LiveCalls, cutoffMs: number): LiveCalls {
  const kept = Object.values(state).filter((call) => !call.ended || Date.parse(call.ended.at) >= cutoffMs);
  return kept.length === Object.keys(state).length ? state : Object.fromEntries(kept.map((call) => [call.id, call]));
}
