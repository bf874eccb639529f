"""The API routes for Twilio webhooks: voice (TwiML), status, amd, recording — every request signature-checked. (Being built: issue 4.)"""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["twilio"])
