"""The API routes for test calls: a simulated call with a persona, or a real one through Twilio when configured. (Being built: issue 4.)"""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["testcalls"])
