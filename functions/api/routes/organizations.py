"""The API routes for organization settings, organizations, API keys and the audit log. (Being built: issue 4.)"""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["organizations"])
