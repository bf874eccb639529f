"""Simulated customers over the real Line harness protocol.

Stable API for the campaign driver, the test-call API and `archer simulate`:

- `run_simulated_call(*, agent_url, persona, metadata=None, identity=None, sessions=None, timeout=15.0)
  -> SimulationResult` — one call over a real websocket; `result.outcome`, `.findings`, `.agent_messages`,
  `.transcript`, `.call_id`, `.reached_expected`, `.as_dict()`.
- `serve_agent_host(runtime, *, gateway=None)` — async context manager serving the agent host on a loopback
  port in the running event loop; yields its `ws://127.0.0.1:<port>/ws` URL.
- `serve_app(app)` — any ASGI app the same way (the local server with the agent mounted at `/agent`).
- `PERSONAS` (name → class), `make_persona(name, identity)`, `Identity`, `load_identity(sessions, id)`.
"""

from agent_host.simulator.client import AgentTurn, HarnessClient, HarnessError, websocket_url
from agent_host.simulator.personas import PERSONAS, Identity, Persona, make_persona
from agent_host.simulator.runner import (
    SimulatedLine,
    SimulationResult,
    load_identity,
    run_simulated_call,
    serve_agent_host,
    serve_app,
)

__all__ = [
    "PERSONAS",
    "AgentTurn",
    "HarnessClient",
    "HarnessError",
    "Identity",
    "Persona",
    "SimulatedLine",
    "SimulationResult",
    "load_identity",
    "make_persona",
    "run_simulated_call",
    "serve_agent_host",
    "serve_app",
    "websocket_url",
]
