"""The agent's tools, declared once: each `ToolSpec` names a tool (`ToolName`, which is also the name of the
`AgentTools` method that runs it), says what it does and which parameters the LLM may fill. From this one
table come both the name -> method binding `AgentTools.invoke` dispatches on (`bind`) and the Line
`FunctionTool`s the LLM brain is given (`function_tools`), so the two cannot drift apart;
`tests/unit/test_tool_specs.py` checks the table against the methods' signatures.

A spec may expose fewer parameters than its method has (`verify_identity`'s `count_incomplete` is the
scripted brain's alone); never more. A parameter the model leaves out gets the method's default."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from line.llm_agent import FunctionTool, ToolEnv
from line.llm_agent.tools.utils import ParameterInfo, ToolType

from shared.models.agent import ToolName

Invoke = Callable[..., AsyncIterator[Any]]


@dataclass(frozen=True)
class ToolParam:
    """One parameter as the model sees it: its JSON type (`str`, `bool` or a `Literal` of strings), what
    to put in it, and whether the model must give it."""

    name: str
    type: Any
    description: str
    required: bool = False


@dataclass(frozen=True)
class ToolSpec:
    name: ToolName
    description: str
    parameters: tuple[ToolParam, ...] = ()

    @property
    def method_name(self) -> str:
        return self.name.value

    def method(self, tools: object) -> Callable[..., AsyncIterator[Any]]:
        """The bound method of `tools` that runs this tool."""
        method = getattr(tools, self.method_name, None)
        if method is None or not callable(method):
            raise TypeError(f"{type(tools).__name__} has no method {self.method_name!r} for its tool")
        return method  # type: ignore[no-any-return]


def _p(name: str, type_: Any, description: str, *, required: bool = False) -> ToolParam:
    return ToolParam(name=name, type=type_, description=description, required=required)


TOOL_SPECS: tuple[ToolSpec, ...] = (
    ToolSpec(
        ToolName.VERIFY_IDENTITY,
        "Right-party verification: first the name confirmation, then last 4 digits + ZIP code. Code checks "
        "what the caller actually said (your arguments are only hints); a wrong answer uses one of three tries. "
        "Nothing about the debt before this says verified.",
        (
            _p(
                "name_confirmed",
                bool,
                "true once the person confirmed they are the customer by name",
                required=True,
            ),
            _p("account_last_4", str, "the last four digits of an account, as the customer said them"),
            _p("postal_code", str, "the customer's ZIP code, as they said it"),
        ),
    ),
    ToolSpec(
        ToolName.GIVE_DISCLOSURES,
        "Speak a required disclosure word for word: the recording notice at the start of the call, the "
        "debt-collector notice (mini_miranda) after verification and before any account detail.",
        (_p("kind", Literal["recording_notice", "mini_miranda"], "which disclosure", required=True),),
    ),
    ToolSpec(
        ToolName.GET_ACCOUNT_SUMMARY,
        "The account's balance, past-due amount and days past due. Refused until verified.",
    ),
    ToolSpec(
        ToolName.GET_PAYMENT_OPTIONS,
        "The offers the bank allows today, in the order to present them. Quote only these figures.",
        (_p("hardship", bool, "true when the customer described financial hardship"),),
    ),
    ToolSpec(
        ToolName.EVALUATE_COUNTER_OFFER,
        "Check what the customer proposed against the policy: accept, or the nearest allowed offer.",
        (
            _p("kind", str, "pay_in_full, settlement or payment_plan, if the customer said"),
            _p("lump_sum_amount", str, "a one-time amount the customer proposed"),
            _p("installment_amount", str, "a monthly amount the customer proposed"),
            _p("installments_count", str, "a number of monthly payments the customer proposed"),
            _p("down_payment_amount", str, "a down payment the customer proposed"),
            _p("first_payment_date", str, "when the customer wants to pay (YYYY-MM-DD or their words)"),
        ),
    ),
    ToolSpec(
        ToolName.CONFIRM_ARRANGEMENT,
        "First call reads the exact terms back to the customer; after the customer answers, call again with "
        "customer_agreed=true. Code reads the customer's own answer: only an unconditional yes to terms heard "
        "in full stores the arrangement (once); new terms in the answer come back as a counter-offer.",
        (
            _p(
                "offer_id",
                str,
                "the id of an offer from get_payment_options or evaluate_counter_offer",
                required=True,
            ),
            _p("customer_agreed", bool, "true only after the terms were read back and the customer said yes"),
        ),
    ),
    ToolSpec(
        ToolName.TAKE_PAYMENT,
        "Take a card payment now of the amount due under the arrangement confirmed on this call (the tool says "
        "the amount). The customer keys the card on the phone keypad; never ask for card numbers or security "
        "codes by voice.",
        (_p("amount", str, "the amount you expect is due (a hint; only the amount due is charged)"),),
    ),
    ToolSpec(
        ToolName.TRANSFER_TO_HUMAN,
        "Transfer the call to a person at the bank.",
        (_p("reason", str, "why", required=True),),
    ),
    ToolSpec(
        ToolName.SCHEDULE_CALLBACK,
        "Schedule a call back at the customer's request.",
        (
            _p(
                "when",
                str,
                "the day the customer asked to be called (YYYY-MM-DD or their words)",
                required=True,
            ),
            _p("time_of_day", str, "morning, afternoon, evening or a time"),
        ),
    ),
    ToolSpec(
        ToolName.RECORD_DISPUTE,
        "The customer disputes the debt: record it; collection on the account stops.",
        (_p("reason", str, "what the customer disputes", required=True),),
    ),
    ToolSpec(
        ToolName.RECORD_CEASE_REQUEST,
        "The customer asks not to be called (or has an attorney): record it at once.",
        (
            _p("attorney", bool, "true when the customer is represented by an attorney"),
            _p("attorney_name", str, "the attorney's name, if given"),
            _p("attorney_phone", str, "the attorney's phone number, if given"),
        ),
    ),
    ToolSpec(
        ToolName.RECORD_HARDSHIP,
        "The customer describes financial hardship: note it; get_payment_options then has gentler terms.",
        (_p("note", str, "the situation, briefly"),),
    ),
    ToolSpec(
        ToolName.LEAVE_VOICEMAIL,
        "An answering machine picked up: leave the limited-content message and hang up.",
    ),
    ToolSpec(
        ToolName.END_CALL,
        "Hang up, after saying goodbye.",
        (_p("reason", str, "why the call ends"),),
    ),
)


def bind(tools: object, specs: tuple[ToolSpec, ...] = TOOL_SPECS) -> dict[str, Invoke]:
    """Tool name -> the bound method of `tools` that runs it, for every spec."""
    return {spec.name: spec.method(tools) for spec in specs}


def _defaults(method: Callable[..., Any]) -> dict[str, Any]:
    return {
        name: parameter.default
        for name, parameter in inspect.signature(method).parameters.items()
        if parameter.default is not inspect.Parameter.empty
    }


def call_arguments(spec: ToolSpec, defaults: Mapping[str, Any], given: Mapping[str, Any]) -> dict[str, Any]:
    """The arguments a method gets for a model's call: what the model gave for the spec's parameters,
    the method's default for the optional ones it left out. Raises TypeError (reported back to the model
    by Line) for a parameter the spec does not have or a required one missing."""
    known = {param.name for param in spec.parameters}
    unknown = sorted(set(given) - known)
    if unknown:
        raise TypeError(f"{spec.name.value} takes no parameter {', '.join(unknown)}")
    arguments: dict[str, Any] = {}
    for param in spec.parameters:
        if param.name in given:
            arguments[param.name] = given[param.name]
        elif param.required:
            raise TypeError(f"{spec.name.value} needs {param.name}")
        elif param.name in defaults:
            arguments[param.name] = defaults[param.name]
    return arguments


def function_tool(spec: ToolSpec, method: Callable[..., Any], invoke: Invoke) -> FunctionTool:
    """A Line loopback tool for `spec` whose calls run through `invoke(name, **arguments)`."""
    defaults = _defaults(method)

    async def run(ctx: ToolEnv, **given: Any) -> AsyncIterator[Any]:
        async for item in invoke(spec.name, **call_arguments(spec, defaults, given)):
            yield item

    return FunctionTool(
        name=spec.name.value,
        description=spec.description,
        func=run,
        parameters={
            param.name: ParameterInfo(
                name=param.name,
                type_annotation=param.type,
                description=param.description,
                required=param.required,
                default=None if param.required else defaults.get(param.name),
            )
            for param in spec.parameters
        },
        tool_type=ToolType.GENERAL,
    )


def function_tools(
    bound: Mapping[str, Callable[..., Any]], invoke: Invoke, specs: tuple[ToolSpec, ...] = TOOL_SPECS
) -> list[FunctionTool]:
    """The Line tools for the LLM brain, one per spec, over the methods `bind` found."""
    return [function_tool(spec, bound[spec.name], invoke) for spec in specs]
