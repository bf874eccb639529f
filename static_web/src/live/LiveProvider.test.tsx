import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { act, render, screen } from "@testing-library/react";
import { useState } from "react";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { LiveEvent } from "../types";
import { LiveProvider, useLive, useLiveEvents } from "./LiveProvider";

type Handler = (...args: unknown[]) => void;

// A stand-in for the socket.io client that records its options and lets the test fire its events.
interface FakeSocket {
  handlers: Map<string, Handler[]>;
  options: unknown;
  disconnected: boolean;
}
const fake = vi.hoisted((): FakeSocket => ({ handlers: new Map(), options: undefined, disconnected: false }));

vi.mock("socket.io-client", () => ({
  io: (_url: string, options: unknown) => {
    fake.options = options;
    fake.handlers.clear();
    fake.disconnected = false;
    return {
      on: (event: string, handler: Handler) => fake.handlers.set(event, [...(fake.handlers.get(event) ?? []), handler]),
      removeAllListeners: () => fake.handlers.clear(),
      disconnect: () => {
        fake.disconnected = true;
      },
    };
  },
}));

function fire(event: string, ...args: unknown[]) {
  act(() => (fake.handlers.get(event) ?? []).forEach((handler) => handler(...args)));
}

function Probe() {
  const { status, onResync } = useLive();
  const [texts, setTexts] = useState<string[]>([]);
  const [resyncs, setResyncs] = useState(0);
  useLiveEvents((event: LiveEvent) => {
    if (event.type === "call.transcript") setTexts((t) => [...t, event.text]);
  });
  useState(() => onResync(() => setResyncs((n) => n + 1)));
  return (
    <p>
      {status} | {texts.join(",")} | resyncs {resyncs}
    </p>
  );
}

function renderLive() {
  const client = new QueryClient();
  const invalidate = vi.spyOn(client, "invalidateQueries");
  const view = render(
    <QueryClientProvider client={client}>
      <LiveProvider apiKey="ak_live">
        <Probe />
      </LiveProvider>
    </QueryClientProvider>,
  );
  return { invalidate, view };
}

afterEach(() => vi.clearAllMocks());

describe("LiveProvider", () => {
  it("connects with the API key over websockets and hands events to listeners", () => {
    renderLive();
    expect(fake.options).toMatchObject({ auth: { apiKey: "ak_live" }, path: "/socket.io", transports: ["websocket"] });
    fire("connect");
    fire("call.transcript", { type: "call.transcript", text: "Hello" });
    fire("call.transcript", { type: "call.transcript", text: "Hi" });
    expect(screen.getByText(/live \| Hello,Hi \| resyncs 0/)).toBeInTheDocument();
  });

  it("refetches everything after a reconnect and when the server asks to resync", () => {
    const { invalidate } = renderLive();
    fire("connect");
    expect(invalidate).not.toHaveBeenCalled();
    fire("disconnect");
    expect(screen.getByText(/connecting/)).toBeInTheDocument();
    fire("connect");
    expect(invalidate).toHaveBeenCalledTimes(1);
    fire("live.resync");
    expect(invalidate).toHaveBeenCalledTimes(2);
    expect(screen.getByText(/resyncs 2/)).toBeInTheDocument();
  });

  it("reports a refused connection and disconnects on unmount", () => {
    const { view } = renderLive();
    fire("connect_error", new Error("invalid or revoked API key"));
    expect(screen.getByText(/offline/)).toBeInTheDocument();
    view.unmount();
    expect(fake.disconnected).toBe(true);
  });
});
