"""Business operations, one module per aggregate. Every function is keyword-only, takes the session and the
organization id, filters every query by that organization, and returns pydantic models from `shared.models`.
Functions flush but never commit: the caller owns the transaction (a request, a tool call, a CLI command)."""
