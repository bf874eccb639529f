"""Compliance findings: what the call auditor (`shared.policy.audit`) reports about a finished call. The API
shows them on a call's detail and `archer simulate` prints them."""

from __future__ import annotations

import uuid
from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class FindingCode(StrEnum):
    NO_RECORDING_NOTICE = "no_recording_notice"
    DISCLOSURE_BEFORE_VERIFICATION = "disclosure_before_verification"
    ACCOUNT_DETAIL_BEFORE_MINI_MIRANDA = "account_detail_before_mini_miranda"
    OFFER_OUTSIDE_POLICY = "offer_outside_policy"
    CARD_DIGITS_IN_TRANSCRIPT = "card_digits_in_transcript"
    CALL_AFTER_CEASE = "call_after_cease"
    NONCOMPLIANT_VOICEMAIL = "noncompliant_voicemail"
    UNVERIFIED_ACCOUNT_ACCESS = "unverified_account_access"
    # What the output guard holds back (`shared.policy.guard.GuardRule`, same values), found in what was said:
    UNAPPROVED_AMOUNT = "unapproved_amount"
    UNAPPROVED_PERCENTAGE = "unapproved_percentage"
    UNAPPROVED_COUNT = "unapproved_count"
    UNAPPROVED_DATE = "unapproved_date"
    THREAT = "threat"
    LEGAL_ACTION = "legal_action"
    ARREST = "arrest"
    EMPLOYER_OR_FAMILY_CONTACT = "employer_or_family_contact"
    WAGE_OR_PROPERTY = "wage_or_property"
    CREDIT_THREAT = "credit_threat"
    FALSE_URGENCY = "false_urgency"
    FALSE_IDENTITY = "false_identity"
    ABUSIVE = "abusive"
    CARD_DATA = "card_data"


class Finding(BaseModel):
    """One violation. `sequence` points at the transcript entry where it happened (None: the whole call)."""

    model_config = ConfigDict(frozen=True)

    code: FindingCode
    message: str
    sequence: int | None = None


class CallReview(BaseModel):
    call_id: uuid.UUID
    findings: list[Finding]

    @property
    def compliant(self) -> bool:
        return not self.findings
