"""Test calls (`/test-calls`): an operator starts one call of the agent and follows it live and through
`GET /calls/{id}`. Simulated (the default, offline): a simulated customer plays the persona against the real
agent over its websocket, in the background, through the local server's runner (`app.state.test_calls`).
With Twilio configured: a real call placed through the campaign dialer. Parsing and auth only: the checks and
the call row are `shared.services.testcalls`."""

from __future__ import annotations

import asyncio
import functools
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, status

from functions.api.deps import ActorDep, OperatorKey, OrgId, RuntimeDep
from functions.api.problem_docs import problem_responses
from shared.db.engine import transaction
from shared.domain import CallStatus
from shared.errors import ExternalServiceError
from shared.models.audit import Actor
from shared.models.campaigns import DialRequest
from shared.models.testcalls import TestCallCreate, TestCallPublic
from shared.runtime import Runtime
from shared.services import testcalls
from shared.services.testcalls import TestCallPlan, TestCallRunner

router = APIRouter(tags=["test-calls"])

# A test call belongs to no campaign: the dial request carries the nil id there and no orchestration.
NO_CAMPAIGN = uuid.UUID(int=0)


def find_runner(request: Request) -> TestCallRunner | None:
    runner: TestCallRunner | None = getattr(request.app.state, "test_calls", None)
    return runner


RunnerDep = Annotated[TestCallRunner | None, Depends(find_runner)]


class SimulatorUnavailable(ExternalServiceError):
    code = "unavailable"
    status = 503

    def __init__(self) -> None:
        super().__init__(
            "simulated test calls run in the local server (`archer serve`); Twilio is not configured here",
            service="simulator",
            is_transient=False,
        )


def _prepare(
    runtime: Runtime,
    *,
    org_id: uuid.UUID,
    call_in: TestCallCreate,
    personas: list[str] | None,
    mode: testcalls.Mode,
    actor: Actor,
) -> TestCallPlan:
    with transaction(runtime.sessions) as session:
        return testcalls.prepare_test_call(
            session=session, org_id=org_id, call_in=call_in, personas=personas, mode=mode, actor=actor
        )


async def _place_with_twilio(runtime: Runtime, plan: TestCallPlan) -> CallStatus:
    # The function app's dialer: Twilio's when configured (imported here: it builds the Durable blueprint).
    from functions.campaigns.blueprint import make_dialer

    request = DialRequest(
        call_id=plan.call_id,
        organization_id=plan.organization_id,
        campaign_id=NO_CAMPAIGN,
        campaign_target_id=NO_CAMPAIGN,
        customer_id=plan.customer_id,
        account_id=plan.account_id or NO_CAMPAIGN,
        to_number=plan.to_number,
        from_number=None,
        behavioral_tactic_id=None,
        orchestration_instance_id="",
        idempotency_key=f"test-call:{plan.call_id}",
        attempt_number=1,
    )

    def write(action: Any) -> None:
        with transaction(runtime.sessions) as session:
            action(session)

    try:
        receipt = await make_dialer(runtime).dial(request)
    except Exception:
        await asyncio.to_thread(
            write,
            lambda s: testcalls.record_failed(session=s, org_id=plan.organization_id, call_id=plan.call_id),
        )
        raise
    await asyncio.to_thread(
        write,
        lambda s: testcalls.record_placed(
            session=s,
            org_id=plan.organization_id,
            call_id=plan.call_id,
            call_sid=receipt.call_sid,
            status=receipt.status,
        ),
    )
    return receipt.status


@router.post(
    "/test-calls",
    response_model=TestCallPublic,
    status_code=status.HTTP_202_ACCEPTED,
    responses=problem_responses(401, 403, 404, 422, 502, 503),
    summary="Start a test call (simulated, or real through Twilio)",
)
async def start_test_call(
    call_in: TestCallCreate,
    runtime: RuntimeDep,
    runner: RunnerDep,
    org_id: OrgId,
    actor: ActorDep,
    _key: OperatorKey,
) -> Any:
    """Answers at once with the call id (202); the call runs in the background — follow it on the live
    events or with `GET /calls/{call_id}`. An unknown persona is a 422 that lists the valid ones; a customer
    of another organization is a 404."""
    if runtime.settings.describe_adapters()["telephony"] == "twilio":
        personas = list(runner.personas) if runner is not None else None
        plan = await asyncio.to_thread(
            functools.partial(
                _prepare,
                runtime,
                org_id=org_id,
                call_in=call_in,
                personas=personas,
                mode="twilio",
                actor=actor,
            )
        )
        placed = await _place_with_twilio(runtime, plan)
        return plan.public(placed)
    if runner is None:
        raise SimulatorUnavailable()
    personas = list(runner.personas)
    plan = await asyncio.to_thread(
        functools.partial(
            _prepare,
            runtime,
            org_id=org_id,
            call_in=call_in,
            personas=personas,
            mode="simulated",
            actor=actor,
        )
    )
    runner.start(plan)
    return plan.public(CallStatus.QUEUED)
