"""The REST API under /api/v1 (FastAPI), served by the Functions host through AsgiMiddleware and by the
local one-process server."""
