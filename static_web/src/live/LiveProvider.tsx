// The live-event connection: one Socket.IO client per signed-in tab, authenticated with the API key, that
// hands every event to the components listening. After a reconnect, or when the server says it missed events
// (`live.resync`), everything shown is refetched: the database is the record, live events are the fast path.
import { useQueryClient } from "@tanstack/react-query";
import { createContext, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { io, type Socket } from "socket.io-client";
import { config } from "../config";
import type { LiveEvent } from "../types";

export type LiveStatus = "connecting" | "live" | "offline";

export const LIVE_EVENT_TYPES = ["call.started", "call.transcript", "call.tool", "call.ended", "campaign.progress"] as const;

type Listener = (event: LiveEvent) => void;
type ResyncListener = () => void;

interface LiveState {
  status: LiveStatus;
  error: string | null;
  subscribe: (listener: Listener) => () => void;
  onResync: (listener: ResyncListener) => () => void;
}

const LiveContext = createContext<LiveState | null>(null);

export function LiveProvider({ apiKey, children }: { apiKey: string; children: ReactNode }) {
  const queryClient = useQueryClient();
  const [status, setStatus] = useState<LiveStatus>("connecting");
  const [error, setError] = useState<string | null>(null);
  const listeners = useRef(new Set<Listener>());
  const resyncListeners = useRef(new Set<ResyncListener>());

  useEffect(() => {
    const socket: Socket = io(config.liveUrl ?? "", {
      path: config.livePath,
      auth: { apiKey },
      transports: ["websocket"],
      reconnectionDelay: 500,
      reconnectionDelayMax: 5000,
    });
    let connectedBefore = false;
    const resync = () => {
      resyncListeners.current.forEach((listener) => listener());
      void queryClient.invalidateQueries();
    };
    socket.on("connect", () => {
      setStatus("live");
      setError(null);
      if (connectedBefore) resync();
      connectedBefore = true;
    });
    socket.on("disconnect", () => setStatus("connecting"));
    socket.on("connect_error", (err: Error) => {
      setStatus("offline");
      setError(err.message);
    });
    socket.on("live.resync", resync);
    for (const type of LIVE_EVENT_TYPES) {
      socket.on(type, (data: LiveEvent) => {
        listeners.current.forEach((listener) => listener(data));
      });
    }
    return () => {
      socket.removeAllListeners();
      socket.disconnect();
    };
  }, [apiKey, queryClient]);

  const value = useMemo<LiveState>(
    () => ({
      status,
      error,
      subscribe: (listener) => {
        listeners.current.add(listener);
        return () => listeners.current.delete(listener);
      },
      onResync: (listener) => {
        resyncListeners.current.add(listener);
        return () => resyncListeners.current.delete(listener);
      },
    }),
    [status, error],
  );
  return <LiveContext.Provider value={value}>{children}</LiveContext.Provider>;
}

export function useLive(): LiveState {
  const state = useContext(LiveContext);
  if (!state) throw new Error("useLive outside LiveProvider");
  return state;
}

/** Calls `handler` with every live event while the component is mounted. */
export function useLiveEvents(handler: Listener): void {
  const { subscribe } = useLive();
  const latest = useRef(handler);
  useEffect(() => {
    latest.current = handler;
  });
  useEffect(() => subscribe((event) => latest.current(event)), [subscribe]);
}
