"""Issue 11's acceptance: what a customer says on a call, recognised and recorded, blocks the next campaign
dial that would break it — through the campaign's attempt gate — on SQLite and PostgreSQL.

Each customer's words are recognised with `recognize`, recorded with `record_legal_event` as the agent host
would on that call, and the campaign then tries each target at once: the cease, attorney, bankruptcy,
death and wrong-number customers are refused for good, the inconvenient-time customer is refused inside
the stated period and dialled outside it, and a control customer who said nothing of the kind is dialled."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from shared.db.tables import Call, CallAttempt, CampaignTarget, Customer, Organization
from shared.models.audit import Actor
from shared.models.campaigns import AttemptGate, CampaignCreate, TacticShare
from shared.models.organizations import OrganizationCreate
from shared.policy import compliance as c
from shared.policy.legal_events import recognize
from shared.services import campaigns, organizations
from shared.services.contact_preferences import list_preferences
from shared.services.legal_events import record_legal_event
from tests.factories import make_account, make_call, make_customer

# Wednesday 15 July 2026, 18:00 UTC: 11:00 in Phoenix (no daylight-saving time), inside every window.
NOW = datetime(2026, 7, 15, 18, 0, tzinfo=UTC)
CALL_DAY = NOW - timedelta(days=10)  # the call that heard it: before the 7-day quiet period's reach

# (name, what was said on the call, verified as the customer, the code that must refuse the next dial)
SAID = [
    ("cease", "look i told you people already stop calling me", True, c.CEASE),
    (
        "attorney",
        "um my lawyer is handling it his name is john smith his number is six oh two five five five zero one "
        "four four",
        True,
        c.ATTORNEY,
    ),
    ("bankruptcy", "yeah we uh we filed chapter seven back in may", True, c.BANKRUPTCY),
    ("death", "this is his wife he passed away in march", False, c.DECEASED),
    ("wrong number", "wrong number theres nobody by that name here", False, c.NUMBER_BLOCKED),
    ("cease from whoever answered", "dont call this number again", False, c.NUMBER_BLOCKED),
]
AT_WORK = "i'm at work call after six"


def bank(session: Session) -> uuid.UUID:
    created = organizations.create_organization(
        session=session, org_in=OrganizationCreate(name=f"Bank {uuid.uuid4().hex[:8]}"), actor=Actor.cli()
    )
    organizations.install_defaults(session=session, org_id=created.organization.id, actor=Actor.cli())
    return created.organization.id


def heard(session: Session, org_id: uuid.UUID, customer: Customer, account_id: uuid.UUID, text: str, *,
          verified: bool) -> int:  # fmt: skip
    """Record what `customer`'s call heard, as the agent host does for every utterance; returns rows added."""
    call = make_call(session, customer, start_time=CALL_DAY, end_time=CALL_DAY, verified=verified)
    events = recognize(text, today=CALL_DAY.date())
    assert events, text
    rows = 0
    for event in events:
        rows += len(
            record_legal_event(
                session=session, org_id=org_id, customer_id=customer.id, account_id=account_id, event=event,
                dialed_number=customer.phone_number, verified=verified, actor=Actor.agent(call.id),
                call_id=call.id,
            )
        )  # fmt: skip
    return rows


def gate(session: Session, org_id: uuid.UUID, *, campaign_id: uuid.UUID, run: str, target_id: uuid.UUID,
         at: datetime) -> AttemptGate:  # fmt: skip
    """The campaign's attempt gate for one target at `at`, as one attempt orchestration would open it."""
    return campaigns.open_attempt(
        session=session, org_id=org_id, campaign_id=campaign_id, target_id=target_id,
        attempt_instance_id=f"{run}:{target_id}:{at.isoformat()}", run_instance_id=run, at=at,
    )  # fmt: skip


def test_recorded_legal_events_block_the_next_campaign_dial(session: Session) -> None:
    """Cease, attorney, bankruptcy, death and wrong number recorded from a call each refuse the next dial
    for good with their own reason, and nothing is dialled or counted for them; a stated work period
    refuses inside it (waiting for its end) and is dialled outside it; the control customer is dialled."""
    org_id = bank(session)
    org = session.get(Organization, org_id)
    assert org is not None
    people: dict[str, tuple[Customer, uuid.UUID]] = {}
    for name in [*(row[0] for row in SAID), "at work", "control"]:
        customer = make_customer(session, org)
        people[name] = (customer, make_account(session, customer).id)
    for name, text, verified, _ in SAID:
        customer, account_id = people[name]
        assert heard(session, org_id, customer, account_id, text, verified=verified) >= 1, name
    customer, account_id = people["at work"]
    assert heard(session, org_id, customer, account_id, AT_WORK, verified=True) == 1

    campaign_id = campaigns.create_campaign(
        session=session, org_id=org_id, actor=Actor.cli(),
        campaign_in=CampaignCreate(name="Legal events", tactics=[TacticShare(tactic_name="empathetic_partner")]),
    ).id  # fmt: skip
    run = campaigns.begin_run(
        session=session, org_id=org_id, campaign_id=campaign_id, actor=Actor.cli(), at=NOW
    )
    campaigns.plan_targets(session=session, org_id=org_id, campaign_id=campaign_id)
    rows = session.execute(
        sa.select(CampaignTarget.customer_id, CampaignTarget.id).where(
            CampaignTarget.campaign_id == campaign_id
        )
    )
    target_of = {customer_id: target_id for customer_id, target_id in rows}
    instance = run.instance_id or ""

    for name, _, _, code in SAID:
        customer, _ = people[name]
        decided = gate(
            session, org_id, campaign_id=campaign_id, run=instance, target_id=target_of[customer.id], at=NOW
        )
        assert decided.action == "blocked", (name, decided)
        assert decided.request is None and decided.next_allowed_at is None
        assert any(reason.startswith(code + ": ") for reason in decided.reasons), (name, decided.reasons)
        assert session.scalar(sa.select(sa.func.count()).where(CallAttempt.customer_id == customer.id)) == 0
        assert session.scalar(
            sa.select(sa.func.count()).where(Call.customer_id == customer.id, Call.campaign_id == campaign_id)
        ) == 0  # fmt: skip

    at_work, _ = people["at work"]
    inside = gate(
        session, org_id, campaign_id=campaign_id, run=instance, target_id=target_of[at_work.id], at=NOW
    )  # 11:00 in Phoenix
    assert inside.action == "wait" and inside.request is None
    assert any(reason.startswith(c.INCONVENIENT + ": ") for reason in inside.reasons)
    assert inside.next_allowed_at == datetime(2026, 7, 16, 1, 0, tzinfo=UTC)  # 18:00 in Phoenix
    outside = gate(
        session,
        org_id,
        campaign_id=campaign_id,
        run=instance,
        target_id=target_of[at_work.id],
        at=inside.next_allowed_at,
    )
    assert outside.action == "dial" and outside.request is not None
    assert outside.request.to_number == at_work.phone_number

    control, _ = people["control"]
    dialled = gate(
        session, org_id, campaign_id=campaign_id, run=instance, target_id=target_of[control.id], at=NOW
    )
    assert dialled.action == "dial" and dialled.request is not None
    assert dialled.request.to_number == control.phone_number


def test_the_events_recorded_carry_what_was_said(session: Session) -> None:
    """The rows hold the details said (attorney name and number in E.164, bankruptcy chapter, the closed
    number) and a bankruptcy or death puts the customer on legal hold."""
    org_id = bank(session)
    org = session.get(Organization, org_id)
    assert org is not None
    lawyer, bankrupt, widow_of, stranger = (make_customer(session, org) for _ in range(4))
    accounts = {
        person.id: make_account(session, person).id for person in (lawyer, bankrupt, widow_of, stranger)
    }
    heard(session, org_id, lawyer, accounts[lawyer.id], SAID[1][1], verified=True)
    heard(session, org_id, bankrupt, accounts[bankrupt.id], SAID[2][1], verified=True)
    heard(session, org_id, widow_of, accounts[widow_of.id], SAID[3][1], verified=False)
    heard(session, org_id, stranger, accounts[stranger.id], SAID[4][1], verified=False)

    def only(customer: Customer) -> tuple[str, dict[str, object], str | None]:
        rows = list_preferences(session=session, org_id=org_id, customer_id=customer.id)
        assert len(rows) == 1, rows
        return rows[0].kind.value, rows[0].details, rows[0].phone_number

    assert only(lawyer) == (
        "attorney",
        {"attorney_name": "John Smith", "attorney_phone": "+16025550144"},
        None,
    )
    assert only(bankrupt) == ("bankruptcy", {"chapter": 7}, None)
    assert only(widow_of) == ("deceased", {"relation": "wife"}, None)
    assert only(stranger) == ("do_not_call_number", {"reason": "wrong_number"}, stranger.phone_number)
    session.expire_all()
    holds = {key: held for key, held in session.execute(sa.select(Customer.id, Customer.legal_hold))}
    assert holds[bankrupt.id] and holds[widow_of.id]
    assert not holds[lawyer.id] and not holds[stranger.id]
