"""The API routes for tactics, system prompts (versioned, with preview) and the negotiation policy. (Being built: issue 4.)"""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["configuration"])
