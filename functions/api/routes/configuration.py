"""Tactics and system prompts (versioned: an update inserts the next version, calls keep the version they
used), the prompt preview, and the negotiation policy. Parsing and auth only: the rules are
`shared.services.{tactics,prompts,policies}`; their commits invalidate the configuration cache
(`shared.services.config_cache`), so an edit is live on the agent's next call."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, status

from functions.api.deps import ActorDep, AdminKey, OrgId, RuntimeDep, SessionDep, ViewerKey
from shared.models.common import Page
from shared.models.configuration import (
    NegotiationPolicyPublic,
    NegotiationPolicyUpdate,
    PromptCreate,
    PromptPreview,
    PromptPreviewRequest,
    PromptPublic,
    PromptUpdate,
    TacticCreate,
    TacticPublic,
    TacticUpdate,
)
from shared.services import policies, prompts, tactics


async def bind_config_loop(runtime: RuntimeDep) -> None:
    """On the event loop: lets the configuration cache publish a commit's invalidation from the worker
    thread that commits (the cache client lives on this loop)."""
    runtime.config.bind_loop()


router = APIRouter(tags=["configuration"], dependencies=[Depends(bind_config_loop)])

Name = Annotated[str, Path(min_length=1, max_length=50, pattern=r"^[a-z0-9_]+$")]

_TACTIC_EXAMPLE = {
    "archetype": "Empathetic Partner",
    "description": "Warm and patient; leads with listening.",
    "config": {
        "urgency_level": 2,
        "empathy_index": 5,
        "persistence_level": 2,
        "tactics": [
            {
                "name": "reflective_listening",
                "description": "Repeat back what the customer said before proposing anything.",
                "guidance": "Reflect only what was actually said.",
            }
        ],
    },
}


def _page(items: list[Any]) -> dict[str, Any]:
    return {"data": items, "count": len(items), "next_cursor": None}


# --- tactics ------------------------------------------------------------------------------------------------


@router.get("/tactics", response_model=Page[TacticPublic])
def list_tactics(session: SessionDep, org_id: OrgId, _key: ViewerKey, include_inactive: bool = True) -> Any:
    """The current version of each tactic, by name (`include_inactive=false`: only those offered to calls)."""
    return _page(tactics.list_tactics(session=session, org_id=org_id, include_inactive=include_inactive))


@router.post("/tactics", response_model=TacticPublic, status_code=status.HTTP_201_CREATED)
def create_tactic(
    tactic_in: Annotated[
        TacticCreate, Body(openapi_examples={"tactic": {"value": {"name": "warm_start", **_TACTIC_EXAMPLE}}})
    ],
    session: SessionDep,
    org_id: OrgId,
    actor: ActorDep,
    _key: AdminKey,
) -> Any:
    """Version 1 of a new tactic; 409 when the name exists."""
    return tactics.create_tactic(session=session, org_id=org_id, tactic_in=tactic_in, actor=actor)


@router.get("/tactics/{name}", response_model=TacticPublic)
def get_tactic(name: Name, session: SessionDep, org_id: OrgId, _key: ViewerKey) -> Any:
    """The current (newest) version, active or not."""
    return tactics.get_latest_tactic(session=session, org_id=org_id, name=name)


@router.put("/tactics/{name}", response_model=TacticPublic)
def update_tactic(
    name: Name,
    tactic_in: Annotated[TacticUpdate, Body(openapi_examples={"tactic": {"value": _TACTIC_EXAMPLE}})],
    session: SessionDep,
    org_id: OrgId,
    actor: ActorDep,
    _key: AdminKey,
) -> Any:
    """Store the next version (fields left out carry over); calls made with earlier versions keep them."""
    return tactics.update_tactic(session=session, org_id=org_id, name=name, tactic_in=tactic_in, actor=actor)


@router.get("/tactics/{name}/versions", response_model=Page[TacticPublic])
def tactic_versions(name: Name, session: SessionDep, org_id: OrgId, _key: ViewerKey) -> Any:
    """Every version, newest first."""
    return _page(tactics.tactic_history(session=session, org_id=org_id, name=name))


# --- prompts ------------------------------------------------------------------------------------------------


@router.get("/prompts", response_model=Page[PromptPublic])
def list_prompts(session: SessionDep, org_id: OrgId, _key: ViewerKey, include_inactive: bool = True) -> Any:
    """The current version of each system prompt, by name (`include_inactive=false`: only active ones)."""
    return _page(prompts.list_prompts(session=session, org_id=org_id, include_inactive=include_inactive))


@router.post("/prompts", response_model=PromptPublic, status_code=status.HTTP_201_CREATED)
def create_prompt(
    prompt_in: PromptCreate, session: SessionDep, org_id: OrgId, actor: ActorDep, _key: AdminKey
) -> Any:
    """Version 1 of a new prompt (every `{variable}` of the template must be declared); 409 when the name
    exists."""
    return prompts.create_prompt(session=session, org_id=org_id, prompt_in=prompt_in, actor=actor)


@router.get("/prompts/{name}", response_model=PromptPublic)
def get_prompt(name: Name, session: SessionDep, org_id: OrgId, _key: ViewerKey) -> Any:
    return prompts.get_latest_prompt(session=session, org_id=org_id, name=name)


@router.put("/prompts/{name}", response_model=PromptPublic)
def update_prompt(
    name: Name, prompt_in: PromptUpdate, session: SessionDep, org_id: OrgId, actor: ActorDep, _key: AdminKey
) -> Any:
    """Store the next version (fields left out carry over)."""
    return prompts.update_prompt(session=session, org_id=org_id, name=name, prompt_in=prompt_in, actor=actor)


@router.get("/prompts/{name}/versions", response_model=Page[PromptPublic])
def prompt_versions(name: Name, session: SessionDep, org_id: OrgId, _key: ViewerKey) -> Any:
    """Every version, newest first."""
    return _page(prompts.prompt_history(session=session, org_id=org_id, name=name))


@router.post("/prompts/{name}/preview", response_model=PromptPreview)
def preview_prompt(
    name: Name, preview_in: PromptPreviewRequest, session: SessionDep, org_id: OrgId, _key: ViewerKey
) -> Any:
    """The prompt's current version rendered for a customer exactly as the agent would (same values, same
    renderer). 404 for a customer or tactic not in the organization; 422 when the template uses a variable
    the agent has no value for."""
    return prompts.preview_prompt(
        session=session, org_id=org_id, name=name, preview_in=preview_in, now=datetime.now(UTC)
    )


# --- negotiation policy -------------------------------------------------------------------------------------


@router.get("/negotiation-policy", response_model=NegotiationPolicyPublic)
def get_negotiation_policy(session: SessionDep, org_id: OrgId, _key: ViewerKey) -> Any:
    """The active policy (404 when the organization has none)."""
    return policies.get_active_policy(session=session, org_id=org_id)


@router.put("/negotiation-policy", response_model=NegotiationPolicyPublic)
def put_negotiation_policy(
    policy_in: NegotiationPolicyUpdate, session: SessionDep, org_id: OrgId, actor: ActorDep, _key: AdminKey
) -> Any:
    """Replace the rules: the next version becomes the active policy. Invalid rules answer 422 with the
    path of the field at fault (e.g. `rules.settlement_floors.1.floor_pct`)."""
    return policies.put_policy(session=session, org_id=org_id, rules=policy_in.rules, actor=actor)
