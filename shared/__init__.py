"""Archer's core: domain models, persistence, policy engines and integrations, shared by the function app and
the agent host. Nothing here imports `functions`, `agent_host` or `dev_server`."""
