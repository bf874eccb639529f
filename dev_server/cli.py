"""`archer serve`: the local one-process server (contributed to the `archer` CLI by entry point)."""

from __future__ import annotations

import argparse
from typing import Any

from shared.cli import open_engine, require_migrated
from shared.config import Settings


def serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    engine = open_engine(settings)
    try:
        require_migrated(engine)
    finally:
        engine.dispose()
    uvicorn.run(
        "dev_server.app:create_served_app",
        factory=True,
        host=args.host,
        port=args.port,
        log_config=None,  # keep Archer's masked logging
        ws="websockets",
    )
    return 0


def register(commands: Any) -> None:
    parser = commands.add_parser("serve", help="serve the whole stack locally in one process")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=7071)
    parser.set_defaults(handler=serve, long_running=True)
