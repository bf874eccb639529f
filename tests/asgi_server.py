"""Serve an ASGI app with uvicorn on a free loopback port inside the test's event loop, for tests that need a
real network peer (Socket.IO, websockets) rather than an in-memory test client."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@asynccontextmanager
async def serve_asgi(app: Any, *, lifespan: str = "off") -> AsyncIterator[str]:
    """Run `app` on 127.0.0.1 until the block exits; yields its base URL (`http://127.0.0.1:PORT`)."""
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, lifespan=lifespan, log_config=None, ws="websockets-sansio"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        for _ in range(500):
            if server.started or task.done():
                break
            await asyncio.sleep(0.01)
        if not server.started:
            task.result() if task.done() else None
            raise RuntimeError(f"uvicorn did not start on port {port}")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=10)
