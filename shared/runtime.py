"""The process's wiring: settings, database engine and sessions, cache and event bus. Each deployable builds
one `Runtime` at startup and hands it (or parts of it) to what it serves; tests build their own. Nothing reads
a module-level global client."""

from __future__ import annotations

import gc
import logging
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from shared.config import Settings, get_settings
from shared.db.engine import make_engine, make_session_factory, safe_url
from shared.db.entra import configure_engine_auth
from shared.integrations.cache import InMemoryCache, RedisCache, make_cache
from shared.services.config_cache import ConfigCache
from shared.telemetry import instrument_engine

logger = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    cache: InMemoryCache | RedisCache  # also the event bus
    # Tactics, prompts and the negotiation policy as the agent reads them (LRU → cache → database); installed
    # on `sessions`, so every committed configuration change through the services invalidates it.
    config: ConfigCache = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.config = ConfigCache(self.cache)
        self.config.install(self.sessions)

    async def aclose(self) -> None:
        await self.config.aclose()
        await self.cache.close()
        self.engine.dispose()


def build_runtime(settings: Settings | None = None) -> Runtime:
    settings = settings or get_settings()
    engine = make_engine(settings.database_url, pool_size=settings.db_pool_size)
    configure_engine_auth(engine, settings)  # Entra tokens as passwords when ARCHER_DATABASE_AUTH=entra
    instrument_engine(engine)  # statement spans, when telemetry is configured
    adapters = settings.describe_adapters()
    logger.info(
        "archer runtime: env=%s database=%s adapters=%s",
        settings.env,
        safe_url(settings.database_url),
        ", ".join(f"{port}={adapter}" for port, adapter in adapters.items()),
    )
    for port, adapter in adapters.items():
        if adapter in {"scripted", "simulated", "in-process", "console"} and not settings.is_production:
            logger.info("%s: no credentials configured, using the embedded %s default", port, adapter)
    return Runtime(
        settings=settings,
        engine=engine,
        sessions=make_session_factory(engine),
        cache=make_cache(settings.redis_url),
    )


def tune_gc() -> None:
    """For a long-running server, once its app is built: move everything allocated at startup (the SDKs'
    large import-time tables among it) out of the collector's sight and collect the young generation less
    often — otherwise every full collection walks that heap and pauses the requests in flight."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)
