"""The API routes for customers, their accounts and contact preferences, CSV import, a customer's calls. (Being built: issue 4.)"""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["customers"])
