"""The API routes for analytics summary by day, tactic or campaign. (Being built: issue 4.)"""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["analytics"])
