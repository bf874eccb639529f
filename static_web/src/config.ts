// Where the UI finds its services. Locally everything is one origin (`archer serve`); in production the build
// is given the API (Function app), the live events and the agent (agent host) through VITE_* variables.

function trimSlash(url: string): string {
  return url.replace(/\/+$/, "");
}

const env = import.meta.env;

export const config = {
  /** REST API base, e.g. https://archer-func.azurewebsites.net/api/v1 (default: same origin). */
  apiBaseUrl: trimSlash(env.VITE_API_BASE_URL || "/api/v1"),
  /** Socket.IO server origin, e.g. https://archer-agent.example.net (default: same origin). */
  liveUrl: trimSlash(env.VITE_LIVE_URL || "") || undefined,
  /** Socket.IO path on that origin. */
  livePath: env.VITE_LIVE_PATH || "/socket.io",
  /** The agent's Line websocket, e.g. wss://archer-agent.example.net/ws (default: same origin /agent/ws). */
  agentWsUrl: env.VITE_AGENT_WS_URL || "",
};

/** The agent's websocket URL for test calls. */
export function agentWebSocketUrl(): string {
  if (config.agentWsUrl) return config.agentWsUrl;
  const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${window.location.host}/agent/ws`;
}
