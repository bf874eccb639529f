"""System prompts, versioned per name, and their rendering."""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from pydantic import ValidationError
from sqlalchemy.orm import Session

from shared.db.tables import SystemPrompt
from shared.errors import Conflict, InvalidInput, NotFound
from shared.models.audit import Actor
from shared.models.configuration import PromptCreate, PromptPublic, PromptUpdate, template_fields
from shared.services import audit, versions


def render(template: str, values: Mapping[str, object]) -> str:
    """Fill `{name}` placeholders; a placeholder without a value is an error naming it, never left blank."""
    missing = sorted(template_fields(template) - set(values))
    if missing:
        raise InvalidInput(f"no value for prompt variables: {', '.join(missing)}", field="variables")
    return template.format_map(dict(values))


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
