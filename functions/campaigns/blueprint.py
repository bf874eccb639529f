"""The campaign functions of the Azure Function app, as a `df.Blueprint` that `function_app.py` registers:
the two orchestrators, their activities, the campaign scheduler (a timer that starts due scheduled
campaigns) and the daily retention purge. Adapters only: the orchestrators are `orchestrator.py`'s, the
activities `activities.py`'s, and their clients come from one `CampaignDeps` built per worker process."""

from __future__ import annotations

import functools
import logging
from datetime import UTC, datetime
from typing import Any

import azure.durable_functions as df
import azure.functions as func

from functions.campaigns import activities, control, orchestrator
from functions.campaigns.activities import CampaignDeps, RealClock
from functions.campaigns.ports import Dialer, DurableCampaignRuns
from functions.campaigns.twilio_dialer import TwilioDialer
from shared.db.engine import transaction
from shared.errors import ExternalServiceError
from shared.integrations.twilio import TwilioTelephony
from shared.models.campaigns import DialReceipt, DialRequest
from shared.runtime import Runtime, build_runtime
from shared.services import retention

logger = logging.getLogger(__name__)

bp = df.Blueprint()

# NCRONTAB (seconds first), in UTC: the scheduler looks for due campaigns every five minutes; the purge
# runs once a day in the small hours.
SCHEDULER_SCHEDULE = "0 */5 * * * *"
RETENTION_SCHEDULE = "0 30 3 * * *"


class TelephonyNotConfigured:
    """The dialer of a function app without a telephony adapter: every dial is refused for good, so targets
    are blocked with a clear reason instead of waiting forever."""

    async def dial(self, request: DialRequest) -> DialReceipt:
        raise ExternalServiceError(
            "no telephony adapter is configured for campaign calls in the function app",
            service="telephony",
            is_transient=False,
        )


@functools.cache
def runtime() -> Runtime:
    return build_runtime()


def make_dialer(current: Runtime) -> Dialer:
    """The function app's dialer: Twilio (`TwilioDialer`) when its credentials and the public URL are
    configured, else `TelephonyNotConfigured`. Also used for single calls outside a campaign (a real test
    call): a `DialRequest` without an orchestration instance id raises no event when the call ends."""
    telephony = TwilioTelephony.from_settings(current.settings)
    if telephony is None:
        return TelephonyNotConfigured()
    return TwilioDialer(telephony=telephony, sessions=current.sessions)


@functools.cache
def deps() -> CampaignDeps:
    current = runtime()
    return CampaignDeps(
        sessions=current.sessions, dialer=make_dialer(current), clock=RealClock(), bus=current.cache
    )


# --- Orchestrators -----------------------------------------------------------------------------------------

campaign_orchestrator = bp.orchestration_trigger(
    context_name="context", orchestration=orchestrator.CAMPAIGN_ORCHESTRATOR
)(orchestrator.campaign_orchestrator)
campaign_attempt = bp.orchestration_trigger(
    context_name="context", orchestration=orchestrator.ATTEMPT_ORCHESTRATOR
)(orchestrator.campaign_attempt)


# --- Activities --------------------------------------------------------------------------------------------


@bp.activity_trigger(input_name="payload", activity=orchestrator.PLAN_ACTIVITY)
def campaign_plan(payload: Any) -> dict[str, Any]:
    return activities.plan(payload, deps())


@bp.activity_trigger(input_name="payload", activity=orchestrator.CLAIM_ACTIVITY)
def campaign_claim_wave(payload: Any) -> dict[str, Any]:
    return activities.claim_wave(payload, deps())


@bp.activity_trigger(input_name="payload", activity=orchestrator.PLACE_CALL_ACTIVITY)
async def campaign_place_call(payload: Any) -> dict[str, Any]:
    return await activities.place_call(payload, deps())


@bp.activity_trigger(input_name="payload", activity=orchestrator.RECORD_ACTIVITY)
async def campaign_record_disposition(payload: Any) -> dict[str, Any]:
    return await activities.record_disposition(payload, deps())


@bp.activity_trigger(input_name="payload", activity=orchestrator.PROGRESS_ACTIVITY)
async def campaign_progress(payload: Any) -> dict[str, Any]:
    return await activities.progress(payload, deps())


@bp.activity_trigger(input_name="payload", activity=orchestrator.FINISH_ACTIVITY)
def campaign_finish(payload: Any) -> dict[str, Any]:
    return activities.finish(payload, deps())


# --- Timers ------------------------------------------------------------------------------------------------


@bp.timer_trigger(schedule=SCHEDULER_SCHEDULE, arg_name="timer", run_on_startup=False)
@bp.durable_client_input(client_name="client")
async def campaign_scheduler(timer: func.TimerRequest, client: Any) -> None:
    """Start every scheduled campaign whose cron has fired since its last run (each firing once)."""
    started = await control.start_due_campaigns(
        sessions=runtime().sessions, runs=DurableCampaignRuns(client), at=datetime.now(UTC)
    )
    if started:
        logger.info("campaign scheduler started %d run(s): %s", len(started), ", ".join(started))


@bp.timer_trigger(schedule=RETENTION_SCHEDULE, arg_name="timer", run_on_startup=False)
def retention_purge(timer: func.TimerRequest) -> None:
    """Purge transcripts, recordings and tool payloads past each organization's retention period."""
    with transaction(runtime().sessions) as session:
        report = retention.purge_expired(session=session, at=datetime.now(UTC))
    logger.info("retention purge: %s", report.model_dump_json())
