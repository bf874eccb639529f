"""Everything one agent call needs, loaded once when it starts: the organization, the customer (from
`metadata.customer_id`, else the number dialed on outbound calls or the caller id on inbound ones), the
account the call is about, the tactic, prompt and negotiation policy versions, and the `calls` row (created,
or the one the campaign driver / test-call API / Twilio webhook made, attached by `call_id`).

The rules it applies (which account, which call type, initial communication or not) are
`shared.policy.call_setup`; this module reads and stores. Blocking database I/O: the agent host runs it in a
worker thread. The host's adapter (`agent_host.context`) turns the harness's start request into the plain
arguments of `load_call_setup`."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol, TypeVar
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from shared.db.engine import transaction
from shared.db.tables import (
    Account,
    Call,
    CallTranscriptEntry,
    Campaign,
    CampaignTarget,
    Customer,
    Organization,
)
from shared.domain import CallDirection, CallStatus, CallType
from shared.errors import InvalidInput, NotFound
from shared.models.calls import CallCreate
from shared.models.common import normalize_phone
from shared.models.configuration import NegotiationPolicyPublic, PromptPublic, TacticPublic
from shared.models.customers import AccountPublic, CustomerPublic
from shared.models.organizations import OrganizationSettings
from shared.policy.call_setup import default_call_type, is_initial_communication, select_account
from shared.policy.guard import protected_pattern, protected_terms_for
from shared.services import calls, customers, organizations, policies, prompts, tactics
from shared.telemetry import TRACEPARENT, current_traceparent, traceparent_from

logger = logging.getLogger(__name__)

AGENT_PROMPT_NAME = "collections_agent"
DEFAULT_TACTIC = tactics.DEFAULT_TACTIC


class ConfigReads(Protocol):
    """How the loader reads configuration: `shared.services.config_cache.ConfigCache` (the agent host's),
    or `DatabaseConfig` (straight from the database)."""

    def current_tactic(self, *, session: Session, org_id: uuid.UUID, name: str) -> TacticPublic: ...
    def tactic(self, *, session: Session, org_id: uuid.UUID, tactic_id: uuid.UUID) -> TacticPublic: ...
    def active_tactics(self, *, session: Session, org_id: uuid.UUID) -> list[TacticPublic]: ...
    def current_prompt(self, *, session: Session, org_id: uuid.UUID, name: str) -> PromptPublic: ...
    def active_policy(self, *, session: Session, org_id: uuid.UUID) -> NegotiationPolicyPublic: ...
    def policy(
        self, *, session: Session, org_id: uuid.UUID, policy_id: uuid.UUID
    ) -> NegotiationPolicyPublic: ...


class DatabaseConfig:
    """Configuration read straight from the database, through the services."""

    def current_tactic(self, *, session: Session, org_id: uuid.UUID, name: str) -> TacticPublic:
        return tactics.get_current_tactic(session=session, org_id=org_id, name=name)

    def tactic(self, *, session: Session, org_id: uuid.UUID, tactic_id: uuid.UUID) -> TacticPublic:
        return tactics.get_tactic(session=session, org_id=org_id, tactic_id=tactic_id)

    def active_tactics(self, *, session: Session, org_id: uuid.UUID) -> list[TacticPublic]:
        return tactics.list_tactics(session=session, org_id=org_id)

    def current_prompt(self, *, session: Session, org_id: uuid.UUID, name: str) -> PromptPublic:
        return prompts.get_current_prompt(session=session, org_id=org_id, name=name)

    def active_policy(self, *, session: Session, org_id: uuid.UUID) -> NegotiationPolicyPublic:
        return policies.get_active_policy(session=session, org_id=org_id)

    def policy(self, *, session: Session, org_id: uuid.UUID, policy_id: uuid.UUID) -> NegotiationPolicyPublic:
        return policies.get_policy(session=session, org_id=org_id, policy_id=policy_id)


@dataclass(frozen=True)
class CallSetup:
    """What a call was set up with (the agent host calls it the call's context)."""

    call_id: uuid.UUID
    org_id: uuid.UUID | None  # None: no organization could be resolved; nothing is stored
    organization_name: str
    settings: OrganizationSettings
    direction: CallDirection
    call_type: CallType
    brain: str
    customer: CustomerPublic | None = None
    account: AccountPublic | None = None
    account_last4s: frozenset[str] = frozenset()
    protected_terms: frozenset[str] = frozenset()
    tactic: TacticPublic | None = None
    prompt: PromptPublic | None = None
    policy: NegotiationPolicyPublic | None = None
    initial_communication: bool = True
    # The number the person on the line is on (dialed on outbound calls, the caller id inbound), E.164: what a
    # "wrong number" or "don't call this number" applies to.
    line_number: str | None = None
    today: date = field(default_factory=date.today)
    next_sequence: int = 0
    metadata: dict[str, Any] = field(default_factory=dict)
    # The call's trace: the traceparent of the start metadata (the dial or webhook that placed the call), or
    # of the call's setup span when the call came without one. The agent's turn spans continue it.
    traceparent: str | None = None

    @property
    def stored(self) -> bool:
        return self.org_id is not None

    @property
    def business_name(self) -> str:
        return self.settings.business_name or self.organization_name

    @property
    def first_name(self) -> str:
        return self.customer.name.split()[0] if self.customer else ""


# --- Reading the start metadata ------------------------------------------------------------------------


def _uuid(value: Any, name: str, *, strict: bool = False) -> uuid.UUID | None:
    if value in (None, ""):
        return None
    try:
        return uuid.UUID(str(value))
    except ValueError:
        if strict:
            raise InvalidInput(f"metadata.{name} is not a UUID", field=f"metadata.{name}") from None
        logger.warning("ignoring metadata.%s: not a UUID", name)
        return None


_E = TypeVar("_E", CallDirection, CallType)


def _enum(kind: type[_E], value: Any, default: _E) -> _E:
    try:
        return kind(str(value)) if value else default
    except ValueError:
        raise InvalidInput(f"{value!r} is not a valid {kind.__name__}", field=kind.__name__) from None


def _number(value: str | None) -> str | None:
    return None if not value or value == "unknown" else value


def _phone(number: str | None) -> str | None:
    """A number fit for the calls row (E.164 when it parses; None otherwise)."""
    if not number:
        return None
    try:
        return normalize_phone(number)
    except ValueError:
        return None


# --- Resolving, org-scoped -----------------------------------------------------------------------------


def _resolve_org(session: Session, meta: Mapping[str, Any], row: Call | None) -> uuid.UUID | None:
    """The organization: named by the metadata, else the call row's, else the customer's; a single-tenant
    (local) installation's only one otherwise. The one lookup not scoped by an organization: it finds it."""
    org_id = _uuid(meta.get("organization_id"), "organization_id")
    if org_id is not None:
        return org_id if session.get(Organization, org_id) is not None else None
    if row is not None:
        return row.organization_id
    customer_id = _uuid(meta.get("customer_id"), "customer_id")
    if customer_id is not None:
        found = session.scalar(sa.select(Customer.organization_id).where(Customer.id == customer_id))
        if found is not None:
            return found
    only = session.scalars(sa.select(Organization.id).limit(2)).all()
    return only[0] if len(only) == 1 else None


def _campaign_target(
    *, session: Session, org_id: uuid.UUID, target_id: uuid.UUID | None
) -> CampaignTarget | None:
    if target_id is None:
        return None
    return session.scalar(
        sa.select(CampaignTarget).where(
            CampaignTarget.organization_id == org_id, CampaignTarget.id == target_id
        )
    )


def _resolve_customer(
    *, session: Session, org_id: uuid.UUID, customer_id: uuid.UUID | None, number: str | None
) -> CustomerPublic | None:
    if customer_id is not None:
        found = session.scalar(
            sa.select(Customer).where(Customer.organization_id == org_id, Customer.id == customer_id)
        )
        if found is None:
            logger.warning("metadata.customer_id is not a customer of the organization")
            return None
        return CustomerPublic.model_validate(found)
    if not number:
        return None
    matches = customers.find_by_phone(session=session, org_id=org_id, number=number)
    return matches[0] if len(matches) == 1 else None


def _customer_accounts(*, session: Session, org_id: uuid.UUID, customer_id: uuid.UUID) -> list[Account]:
    return list(
        session.scalars(
            sa.select(Account)
            .where(Account.organization_id == org_id, Account.customer_id == customer_id)
            .order_by(Account.created_at, Account.external_ref)
        ).all()
    )


def _resolve_tactic(
    *,
    session: Session,
    org_id: uuid.UUID,
    name: Any,
    target: CampaignTarget | None,
    config: ConfigReads,
) -> TacticPublic | None:
    if name:
        try:
            return config.current_tactic(session=session, org_id=org_id, name=str(name))
        except NotFound:
            raise InvalidInput(f"no active tactic named {name!r}", field="metadata.tactic_name") from None
    if target is not None and target.behavioral_tactic_id is not None:
        return config.tactic(session=session, org_id=org_id, tactic_id=target.behavioral_tactic_id)
    return tactics.default_tactic(
        current=lambda tactic_name: config.current_tactic(session=session, org_id=org_id, name=tactic_name),
        active=lambda: config.active_tactics(session=session, org_id=org_id),
    )


def _resolve_prompt(*, session: Session, org_id: uuid.UUID, config: ConfigReads) -> PromptPublic | None:
    try:
        return config.current_prompt(session=session, org_id=org_id, name=AGENT_PROMPT_NAME)
    except NotFound:
        return None


def _resolve_policy(
    *, session: Session, org_id: uuid.UUID, campaign_id: uuid.UUID | None, config: ConfigReads
) -> NegotiationPolicyPublic | None:
    """The campaign's negotiation policy when it names one, else the organization's active policy."""
    campaign_policy_id = (
        session.scalar(
            sa.select(Campaign.negotiation_policy_id).where(
                Campaign.organization_id == org_id, Campaign.id == campaign_id
            )
        )
        if campaign_id is not None
        else None
    )
    try:
        if campaign_policy_id is not None:
            return config.policy(session=session, org_id=org_id, policy_id=campaign_policy_id)
        return config.active_policy(session=session, org_id=org_id)
    except NotFound:
        logger.warning("the organization has no negotiation policy: the agent can make no offer")
        return None


def _next_sequence(*, session: Session, call_id: uuid.UUID, existed: bool) -> int:
    """Where this call's transcript continues (a call row made just now has no entries yet)."""
    if not existed:
        return 0
    last = session.scalar(
        sa.select(sa.func.max(CallTranscriptEntry.sequence)).where(CallTranscriptEntry.call_id == call_id)
    )
    return 0 if last is None else last + 1


def _earlier_conversation(
    *, session: Session, org_id: uuid.UUID, customer_id: uuid.UUID, call_id: uuid.UUID
) -> bool:
    """Whether another call with this customer was a conversation (verification succeeded on it)."""
    found = session.scalar(
        sa.select(Call.id)
        .where(
            Call.organization_id == org_id,
            Call.customer_id == customer_id,
            Call.verified.is_(True),
            Call.id != call_id,
        )
        .limit(1)
    )
    return found is not None


# --- The loader ----------------------------------------------------------------------------------------


def load_call_setup(
    *,
    sessions: sessionmaker[Session],
    metadata: Mapping[str, Any],
    harness_call_id: str | None,
    to_number: str | None,
    from_number: str | None,
    brain: str,
    now: datetime,
    config: ConfigReads | None = None,
) -> CallSetup:
    """Resolve and store what the call needs (one transaction). `metadata` is the start request's; its
    `to`/`from` win over the harness's `to_number`/`from_number`. Tactics, the prompt and the negotiation
    policy are read through `config` (the process's configuration cache; default: straight from the
    database). Raises InvalidInput for a malformed `metadata.call_id`, an unknown `metadata.direction`,
    `metadata.call_type` or `metadata.tactic_name`; NotFound for another organization's call id. Nothing is
    stored when it raises."""
    config = config or DatabaseConfig()
    meta: dict[str, Any] = dict(metadata)
    call_id = _uuid(meta.get("call_id"), "call_id", strict=True) or uuid.uuid4()
    direction = _enum(CallDirection, meta.get("direction"), CallDirection.OUTBOUND)
    to_number = _number(str(meta.get("to") or to_number or ""))
    from_number = _number(str(meta.get("from") or from_number or ""))
    with transaction(sessions) as session:
        row = session.get(Call, call_id)
        no_row = row is None  # no call with this id at all: the row is made new below, without asking again
        org_id = _resolve_org(session, meta, row)
        if row is not None and row.organization_id != org_id:
            row = None  # another organization's call: nothing is read from it (storing it is NotFound)
        campaign_id = _uuid(meta.get("campaign_id"), "campaign_id") or (row.campaign_id if row else None)
        call_type = _enum(
            CallType,
            meta.get("call_type"),
            default_call_type(campaign=campaign_id is not None, direction=direction),
        )
        if org_id is None:
            logger.warning("no organization for this call: greeting generically, storing nothing")
            return CallSetup(
                call_id=call_id,
                org_id=None,
                organization_name="",
                settings=OrganizationSettings(),
                direction=direction,
                call_type=call_type,
                brain=brain,
                metadata=meta,
            )
        organization = organizations.get_organization(session=session, org_id=org_id)
        target = _campaign_target(
            session=session,
            org_id=org_id,
            target_id=_uuid(meta.get("campaign_target_id"), "campaign_target_id")
            or (row.campaign_target_id if row else None),
        )
        customer = _resolve_customer(
            session=session,
            org_id=org_id,
            customer_id=_uuid(meta.get("customer_id"), "customer_id") or (row.customer_id if row else None),
            number=to_number if direction is CallDirection.OUTBOUND else from_number,
        )
        accounts_rows = (
            _customer_accounts(session=session, org_id=org_id, customer_id=customer.id) if customer else []
        )
        account: AccountPublic | None = None
        tactic: TacticPublic | None = None
        policy: NegotiationPolicyPublic | None = None
        if customer is not None:
            wanted = (
                _uuid(meta.get("account_id"), "account_id")
                or (target.account_id if target else None)
                or (row.account_id if row else None)
            )
            chosen = select_account(accounts_rows, wanted=wanted)
            if wanted is not None and (chosen is None or chosen.id != wanted):
                logger.warning(
                    "the requested account does not belong to the customer; using the largest open one"
                )
            account = None if chosen is None else AccountPublic.model_validate(chosen)
            tactic = _resolve_tactic(
                session=session, org_id=org_id, name=meta.get("tactic_name"), target=target, config=config
            )
        prompt = _resolve_prompt(session=session, org_id=org_id, config=config)
        if customer is not None:
            policy = _resolve_policy(session=session, org_id=org_id, campaign_id=campaign_id, config=config)
        stored_meta: dict[str, Any] = {
            "harness_call_id": harness_call_id,
            "tactic_name": tactic.name if tactic else None,
        }
        if account is not None:
            stored_meta["account_balance"] = f"{account.balance:.2f}"
        if meta.get("persona"):
            stored_meta["persona"] = str(meta["persona"])[:40]
        # The call's trace, kept on its row for the status callback: the one the start metadata carried
        # (also written by the dial, which may race this write), else this setup span's own.
        traceparent = traceparent_from(meta) or current_traceparent()
        if traceparent:
            stored_meta[TRACEPARENT] = traceparent
        call = calls.begin_agent_call(
            session=session,
            org_id=org_id,
            call_id=call_id,
            known_new=no_row,
            call_in=CallCreate(
                call_type=call_type,
                direction=direction,
                customer_id=customer.id if customer else None,
                account_id=account.id if account else None,
                campaign_id=campaign_id,
                campaign_target_id=target.id if target else None,
                from_number=_phone(from_number),
                to_number=_phone(to_number),
                status=CallStatus.IN_PROGRESS,
                start_time=now,
                brain=brain,
                behavioral_tactic_id=tactic.id if tactic else None,
                system_prompt_id=prompt.id if prompt else None,
                negotiation_policy_id=policy.id if policy else None,
                metadata=stored_meta,
            ),
        )
        next_sequence = _next_sequence(session=session, call_id=call.id, existed=row is not None)
        earlier_conversation = customer is not None and _earlier_conversation(
            session=session, org_id=org_id, customer_id=customer.id, call_id=call.id
        )
        settings = OrganizationSettings.model_validate(organization.settings)
    zone = ZoneInfo((customer.timezone if customer and customer.timezone else None) or settings.timezone)
    protected = protected_terms_for(
        account_last4s=[row.account_last_4 for row in accounts_rows],
        amounts=[
            amount
            for row in accounts_rows
            for amount in (row.balance, row.past_due_amount, row.minimum_payment or Decimal(0))
        ],
        names=[row.original_creditor or "" for row in accounts_rows],
    )
    protected_pattern(protected)  # compiled here, in the worker thread, not on the first turn
    return CallSetup(
        call_id=call.id,
        org_id=org_id,
        organization_name=organization.name,
        settings=settings,
        direction=direction,
        call_type=call_type,
        brain=brain,
        customer=customer,
        account=account,
        account_last4s=frozenset(row.account_last_4 for row in accounts_rows),
        protected_terms=protected,
        tactic=tactic,
        prompt=prompt,
        policy=policy,
        initial_communication=is_initial_communication(earlier_conversation=earlier_conversation),
        line_number=_phone(to_number if direction is CallDirection.OUTBOUND else from_number)
        or (customer.phone_number if customer else None),
        today=now.astimezone(zone).date(),
        next_sequence=next_sequence,
        metadata=meta,
    )
