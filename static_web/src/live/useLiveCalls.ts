import { useCallback, useEffect, useReducer } from "react";
import { api } from "../api/client";
import type { CallDetail, CallPublic, LiveEvent, Page } from "../types";
import { applyLiveEvent, mergeCallDetail, pruneEnded, type LiveCall, type LiveCalls } from "./liveCalls";
import { useLive, useLiveEvents } from "./LiveProvider";

type Action =
  | { kind: "event"; event: LiveEvent }
  | { kind: "detail"; detail: CallDetail }
  | { kind: "prune"; cutoffMs: number };

function reducer(state: LiveCalls, action: Action): LiveCalls {
  switch (action.kind) {
    case "event":
      return applyLiveEvent(state, action.event);
    case "detail":
      return mergeCallDetail(state, action.detail);
    case "prune":
      return pruneEnded(state, action.cutoffMs);
  }
}

/** How long a finished call stays on the board. */
export const ENDED_LINGER_MS = 30_000;

/** Calls in progress (and those just finished), kept current by live events and refetched on resync. */
export function useLiveCalls(): LiveCall[] {
  const [calls, dispatch] = useReducer(reducer, {});
  const { onResync, status } = useLive();

  useLiveEvents(useCallback((event: LiveEvent) => dispatch({ kind: "event", event }), []));

  const load = useCallback(async () => {
    try {
      const page = await api.get<Page<CallPublic>>("/calls", { status: "in_progress", limit: 20 });
      const details = await Promise.all(
        page.data.map((call) => api.get<CallDetail>(`/calls/${call.id}`).catch(() => null)),
      );
      for (const detail of details) if (detail) dispatch({ kind: "detail", detail });
    } catch {
      // the board still fills from live events; the next resync tries again
    }
  }, []);

  useEffect(() => {
    if (status === "live") void load();
  }, [status, load]);
  useEffect(() => onResync(() => void load()), [onResync, load]);
  useEffect(() => {
    const timer = window.setInterval(() => dispatch({ kind: "prune", cutoffMs: Date.now() - ENDED_LINGER_MS }), 5_000);
    return () => window.clearInterval(timer);
  }, []);

  return Object.values(calls).sort((a, b) => {
    if (!a.ended !== !b.ended) return a.ended ? 1 : -1;
    return b.startedAt.localeCompare(a.startedAt);
  });
}
