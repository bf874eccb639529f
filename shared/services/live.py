"""Publishing live events on the event bus (Redis pub/sub in production, in-process locally)."""

from __future__ import annotations

import logging

from shared.errors import ExternalServiceError
from shared.integrations.cache import EventBus
from shared.models.events import LIVE_EVENT_ADAPTER, LiveEvent, channel_for

logger = logging.getLogger(__name__)


async def publish(bus: EventBus, event: LiveEvent) -> None:
    """Publish `event` to its organization's channel. The live view is best-effort: a bus outage is logged,
    never allowed to break the call that produced the event (the database holds the record)."""
    try:
        await bus.publish(channel_for(event.organization_id), event.model_dump_json())
    except ExternalServiceError as exc:
        logger.warning("live event %s not published: %s", event.type, exc.message)


def parse(message: str) -> LiveEvent:
    return LIVE_EVENT_ADAPTER.validate_json(message)
