"""`python -m agent_host`: serve the agent host on `PORT` (default 8000), all interfaces (a container)."""

from __future__ import annotations

import os
import sys


def main() -> int:
    from shared.config import ConfigurationError, load_settings
    from shared.telemetry import configure_logging

    try:
        settings = load_settings()
    except ConfigurationError as exc:
        print(f"agent_host: {exc}", file=sys.stderr)
        return 2
    configure_logging(level=settings.log_level, fmt=settings.log_format)
    import uvicorn

    from agent_host.app import create_app
    from shared.runtime import build_runtime, tune_gc

    host = os.environ.get("HOST", "0.0.0.0")  # noqa: S104 - a container listens on every interface
    port = int(os.environ.get("PORT", "8000"))
    try:
        app = create_app(build_runtime(settings))
    except ConfigurationError as exc:
        print(f"agent_host: {exc}", file=sys.stderr)
        return 2
    tune_gc()
    uvicorn.run(app, host=host, port=port, log_config=None, ws="websockets-sansio")
    return 0


if __name__ == "__main__":
    sys.exit(main())
