"""The API routes for calls: filtered, cursor-paginated list and detail (transcript, tool calls, findings). (Being built: issue 4.)"""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["calls"])
