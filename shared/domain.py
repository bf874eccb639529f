"""The domain vocabulary every layer shares: the closed sets of values stored in the database, spoken by the
API and checked by the policy engines. Values are stable strings; add members, never rename them."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """What an API key may do: admins manage keys and settings, operators run calls and campaigns."""

    ADMIN = "admin"
    OPERATOR = "operator"
    VIEWER = "viewer"


class LineType(StrEnum):
    MOBILE = "mobile"
    LANDLINE = "landline"
    VOIP = "voip"
    UNKNOWN = "unknown"


class AccountStatus(StrEnum):
    ACTIVE = "active"
    IN_ARRANGEMENT = "in_arrangement"
    PAID_IN_FULL = "paid_in_full"
    SETTLED = "settled"
    CLOSED = "closed"


class PreferenceKind(StrEnum):
    """Consumer requests the compliance engine honors. Each row is a dated fact; ending it keeps the history."""

    CEASE_CONTACT = "cease_contact"  # "stop calling": no further collection calls (FDCPA 805(c))
    DISPUTE = "dispute"  # the debt is disputed: no collection until verified
    ATTORNEY = "attorney"  # represented by an attorney: contact the attorney, not the consumer
    INCONVENIENT_TIME = "inconvenient_time"  # consumer-stated times that are hard blocks
    PHONE_CONSENT = "phone_consent"  # TCPA consent for one number (details.status granted/revoked)
    DO_NOT_CALL_NUMBER = "do_not_call_number"  # never dial this number, any line type (details.reason)
    BANKRUPTCY = "bankruptcy"  # the consumer filed for bankruptcy (details chapter, case_number)
    DECEASED = "deceased"  # the consumer died (details relation, estate contact)
    VALIDATION_REQUEST = "validation_request"  # debt validation asked for: no collection until sent


class CallDirection(StrEnum):
    OUTBOUND = "outbound"
    INBOUND = "inbound"


class CallType(StrEnum):
    CAMPAIGN = "campaign"
    CALLBACK = "callback"
    MANUAL = "manual"
    TEST = "test"


class CallStatus(StrEnum):
    """Twilio's call lifecycle (hyphens become underscores); the last four are final."""

    QUEUED = "queued"
    INITIATED = "initiated"
    RINGING = "ringing"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    FAILED = "failed"
    CANCELED = "canceled"

    @property
    def is_final(self) -> bool:
        return self in FINAL_CALL_STATUSES

    @property
    def rank(self) -> int:
        """How far along the lifecycle: a call's status only ever moves to a higher rank (every final status
        ranks above every live one), so late or out-of-order reports never move it back."""
        return _CALL_STATUS_RANK.get(self, len(_CALL_STATUS_RANK))


FINAL_CALL_STATUSES = frozenset(
    {CallStatus.COMPLETED, CallStatus.BUSY, CallStatus.NO_ANSWER, CallStatus.FAILED, CallStatus.CANCELED}
)
_CALL_STATUS_RANK = {
    CallStatus.QUEUED: 0,
    CallStatus.INITIATED: 1,
    CallStatus.RINGING: 2,
    CallStatus.IN_PROGRESS: 3,
}


class CallOutcome(StrEnum):
    """The one disposition a finished call gets."""

    PAYMENT = "payment"
    PROMISE_TO_PAY = "promise_to_pay"
    PAYMENT_PLAN = "payment_plan"
    CALLBACK_SCHEDULED = "callback_scheduled"
    REFUSED = "refused"
    DISPUTE = "dispute"
    HARDSHIP = "hardship"
    TRANSFERRED = "transferred"
    WRONG_PARTY = "wrong_party"
    UNKNOWN_PARTY = "unknown_party"
    FAILED_VERIFICATION = "failed_verification"
    CEASE_REQUESTED = "cease_requested"
    BANKRUPTCY = "bankruptcy"  # the customer filed for bankruptcy: no collection, the account on legal hold
    DECEASED = "deceased"  # someone reported the customer's death: estate handling
    INCONVENIENT_TIME = "inconvenient_time"  # a bad time now (and the times stated are honoured from now on)
    VOICEMAIL = "voicemail"
    ABANDONED = "abandoned"


class TranscriptEntryType(StrEnum):
    TRANSCRIPT = "transcript"  # something said, by `speaker`
    TOOL = "tool"  # a tool call with its (masked) request and response
    EVENT = "event"  # call lifecycle, disposition, disclosures given
    DTMF = "dtmf"  # keypad input, masked during card capture
    GUARD = "guard"  # the output guard held back agent text


class Speaker(StrEnum):
    AGENT = "agent"
    CUSTOMER = "customer"
    SYSTEM = "system"


class AttemptResult(StrEnum):
    """How a call attempt ended, for the Regulation F 7-in-7 ledger and campaign retries."""

    PENDING = "pending"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    VOICEMAIL = "voicemail"
    CONNECTED = "connected"
    FAILED = "failed"
    CANCELED = "canceled"


class CampaignStatus(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    RUNNING = "running"
    PAUSED = "paused"
    COMPLETED = "completed"
    CANCELED = "canceled"


class TargetStatus(StrEnum):
    PENDING = "pending"
    WAITING_WINDOW = "waiting_window"
    DIALING = "dialing"
    IN_CALL = "in_call"
    DONE = "done"
    BLOCKED = "blocked"
    EXHAUSTED = "exhausted"
    CANCELED = "canceled"


class ArrangementKind(StrEnum):
    PROMISE_TO_PAY = "promise_to_pay"
    PAYMENT_PLAN = "payment_plan"
    SETTLEMENT = "settlement"


class ArrangementStatus(StrEnum):
    ACTIVE = "active"
    KEPT = "kept"
    BROKEN = "broken"
    CANCELED = "canceled"


class PaymentStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    DECLINED = "declined"
    FAILED = "failed"
    REFUNDED = "refunded"


class ActorType(StrEnum):
    """Who made an audited change."""

    API_KEY = "api_key"
    SYSTEM = "system"
    AGENT = "agent"
    CLI = "cli"
