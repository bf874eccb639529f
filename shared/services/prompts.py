"""System prompts, versioned per name, and their rendering."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlalchemy.orm import Session

from shared.db.tables import SystemPrompt
from shared.errors import Conflict, InvalidInput, NotFound
from shared.models.audit import Actor
from shared.models.configuration import (
    PromptCreate,
    PromptPreview,
    PromptPreviewRequest,
    PromptPublic,
    PromptUpdate,
    TacticPublic,
    template_fields,
    template_problem,
)
from shared.models.organizations import OrganizationSettings
from shared.seed.catalog import AGENT_PROMPT_TEMPLATE
from shared.services import audit, config_cache, versions


def render(template: str, values: Mapping[str, object]) -> str:
    """Fill `{name}` placeholders; a placeholder without a value is an error naming it, never left blank."""
    problem = template_problem(template)
    if problem:
        raise InvalidInput(problem, field="prompt_template")
    missing = sorted(template_fields(template) - set(values))
    if missing:
        raise InvalidInput(f"no value for prompt variables: {', '.join(missing)}", field="variables")
    try:
        return template.format_map(dict(values))
    except (ValueError, TypeError) as exc:  # e.g. a number format spec on a text value
        raise InvalidInput(f"the template cannot be rendered: {exc}", field="prompt_template") from None


def agent_prompt_values(
    *,
    agent_name: str,
    organization_name: str,
    customer_name: str | None,
    tactic: TacticPublic | None,
    today: date,
) -> dict[str, Any]:
    """The values the agent fills its system prompt with (the LLM brain for a call, and the preview)."""
    techniques = (
        "\n".join(f"- {item.name}: {item.description} ({item.guidance})" for item in tactic.config.tactics)
        if tactic
        else "- Be clear, calm and respectful."
    )
    return {
        "agent_name": agent_name,
        "organization_name": organization_name,
        "customer_name": customer_name or "the customer",
        "tactic_archetype": tactic.archetype if tactic else "Neutral",
        "urgency_level": tactic.config.urgency_level if tactic else 1,
        "empathy_index": tactic.config.empathy_index if tactic else 3,
        "persistence_level": tactic.config.persistence_level if tactic else 2,
        "tactic_list": techniques,
        "customer_context": (
            f"Today is {today.isoformat()}. Account facts come only from get_account_summary after "
            "verify_identity says verified; offers only from get_payment_options and evaluate_counter_offer "
            "(use their offer ids with confirm_arrangement and take_payment)."
        ),
    }


def render_system_prompt(prompt: PromptPublic | None, values: Mapping[str, object]) -> str:
    """The agent's system prompt: `prompt`'s template (the built-in one when the organization has none)
    filled with `values` (`agent_prompt_values`). A variable without a value is InvalidInput naming it."""
    return render(prompt.prompt_template if prompt else AGENT_PROMPT_TEMPLATE, values)


def preview_prompt(
    *,
    session: Session,
    org_id: uuid.UUID,
    name: str,
    preview_in: PromptPreviewRequest,
    now: datetime,
) -> PromptPreview:
    """`name`'s current version rendered exactly as the agent would for a call to the customer, with the
    named tactic (else the one a manual call gets). Unknown customer or tactic → NotFound with its field;
    a template variable the agent has no value for → InvalidInput."""
    from shared.services import customers, organizations, tactics

    row = versions.latest(session, SystemPrompt, org_id, name)
    if row is None:
        raise NotFound(f"no prompt named {name!r}")
    prompt = PromptPublic.model_validate(row)
    try:
        customer = customers.get_customer(session=session, org_id=org_id, customer_id=preview_in.customer_id)
    except NotFound:
        raise NotFound("customer not found", field="customer_id") from None
    tactic: TacticPublic | None
    if preview_in.tactic_name:
        try:
            tactic = tactics.get_current_tactic(session=session, org_id=org_id, name=preview_in.tactic_name)
        except NotFound:
            raise NotFound(
                f"no active tactic named {preview_in.tactic_name!r}", field="tactic_name"
            ) from None
    else:
        tactic = tactics.default_tactic(
            current=lambda tactic_name: tactics.get_current_tactic(
                session=session, org_id=org_id, name=tactic_name
            ),
            active=lambda: tactics.list_tactics(session=session, org_id=org_id),
        )
    organization = organizations.get_organization(session=session, org_id=org_id)
    settings = OrganizationSettings.model_validate(organization.settings)
    zone = ZoneInfo(customer.timezone or settings.timezone)
    values = agent_prompt_values(
        agent_name=settings.agent_name,
        organization_name=settings.business_name or organization.name,
        customer_name=customer.name,
        tactic=tactic,
        today=now.astimezone(zone).date(),
    )
    return PromptPreview(
        prompt_name=prompt.name,
        prompt_version=prompt.version,
        customer_id=customer.id,
        tactic_name=tactic.name if tactic else None,
        tactic_version=tactic.version if tactic else None,
        variables={key: str(value) for key, value in values.items()},
        rendered=render_system_prompt(prompt, values),
    )


def list_prompts(
    *, session: Session, org_id: uuid.UUID, include_inactive: bool = False
) -> list[PromptPublic]:
    rows = versions.current_rows(session, SystemPrompt, org_id)
    return [PromptPublic.model_validate(row) for row in rows if include_inactive or row.is_active]


def get_prompt(*, session: Session, org_id: uuid.UUID, prompt_id: uuid.UUID) -> PromptPublic:
    row = versions.by_id(session, SystemPrompt, org_id, prompt_id)
    if row is None:
        raise NotFound("prompt not found")
    return PromptPublic.model_validate(row)


def get_current_prompt(*, session: Session, org_id: uuid.UUID, name: str) -> PromptPublic:
    row = versions.latest(session, SystemPrompt, org_id, name, active_only=True)
    if row is None:
        raise NotFound(f"no active prompt named {name!r}")
    return PromptPublic.model_validate(row)


def get_latest_prompt(*, session: Session, org_id: uuid.UUID, name: str) -> PromptPublic:
    """The newest version of `name`, active or not (what an editor shows)."""
    row = versions.latest(session, SystemPrompt, org_id, name)
    if row is None:
        raise NotFound(f"no prompt named {name!r}")
    return PromptPublic.model_validate(row)


def prompt_history(*, session: Session, org_id: uuid.UUID, name: str) -> list[PromptPublic]:
    rows = versions.history(session, SystemPrompt, org_id, name)
    if not rows:
        raise NotFound(f"no prompt named {name!r}")
    return [PromptPublic.model_validate(row) for row in rows]


def create_prompt(
    *, session: Session, org_id: uuid.UUID, prompt_in: PromptCreate, actor: Actor, audited: bool = True
) -> PromptPublic:
    if versions.latest(session, SystemPrompt, org_id, prompt_in.name) is not None:
        raise Conflict(f"a prompt named {prompt_in.name!r} already exists; update it instead", field="name")
    row = versions.add_version(
        session,
        SystemPrompt,
        org_id,
        prompt_in.name,
        {
            "environment": prompt_in.environment,
            "prompt_template": prompt_in.prompt_template,
            "variables": prompt_in.variables,
            "is_active": True,
        },
    )
    config_cache.note_change(session, org_id=org_id)
    public = PromptPublic.model_validate(row)
    if audited:
        audit.record(
            session=session,
            org_id=org_id,
            actor=actor,
            action="prompt.create",
            entity_type="prompt",
            entity_id=row.id,
            after=audit.snapshot(public),
        )
    return public


def update_prompt(
    *, session: Session, org_id: uuid.UUID, name: str, prompt_in: PromptUpdate, actor: Actor
) -> PromptPublic:
    current = versions.latest(session, SystemPrompt, org_id, name)
    if current is None:
        raise NotFound(f"no prompt named {name!r}")
    before = PromptPublic.model_validate(current)
    changes = prompt_in.model_dump(exclude_unset=True)
    try:  # re-validates that the merged template only uses declared variables
        merged = PromptCreate(
            name=name,
            environment=changes.get("environment") or current.environment,
            prompt_template=changes.get("prompt_template") or current.prompt_template,
            variables=changes["variables"] if changes.get("variables") is not None else current.variables,
        )
    except ValidationError as exc:
        message = str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
        raise InvalidInput(message, field="prompt_template") from None
    row = versions.add_version(
        session,
        SystemPrompt,
        org_id,
        name,
        {
            "environment": merged.environment,
            "prompt_template": merged.prompt_template,
            "variables": merged.variables,
            "is_active": changes["is_active"] if changes.get("is_active") is not None else current.is_active,
        },
    )
    config_cache.note_change(session, org_id=org_id)
    after = PromptPublic.model_validate(row)
    audit.record(
        session=session,
        org_id=org_id,
        actor=actor,
        action="prompt.update",
        entity_type="prompt",
        entity_id=row.id,
        before=audit.snapshot(before),
        after=audit.snapshot(after),
    )
    return after
