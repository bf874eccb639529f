import { useEffect, useState } from "react";

type Health = { status: string; environment: string; checks: Record<string, string> };

export function App() {
  const [health, setHealth] = useState<Health | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    fetch("/api/v1/health")
      .then((response) => response.json() as Promise<Health>)
      .then(setHealth)
      .catch((reason: unknown) => setError(String(reason)));
  }, []);

  return (
    <main style={{ background: "#0a0e1a", color: "#e8edf5", minHeight: "100vh", padding: "3rem", fontFamily: "system-ui, sans-serif" }}>
      <h1 style={{ color: "#00d9ff" }}>Archer</h1>
      <p>Collections voice agents — admin console.</p>
      {error && <p role="alert">API unreachable: {error}</p>}
      {health && (
        <p>
          API {health.status} ({health.environment}): {Object.entries(health.checks).map(([k, v]) => `${k} ${v}`).join(", ")}
        </p>
      )}
    </main>
  );
}
