"""The agent's tools are declared once (`agent_host.tool_specs`): the table, the `AgentTools` methods, the
dispatch `invoke` uses and the JSON schemas the LLM sees stay in step."""

from __future__ import annotations

import asyncio
import inspect
import typing
from typing import Any, Literal, get_args, get_origin

import pytest
from line.llm_agent.schema_converter import function_tool_to_litellm

from agent_host.tool_specs import TOOL_SPECS, ToolSpec, bind, call_arguments, function_tool, function_tools
from agent_host.tools import AgentTools
from shared.models.agent import ToolName

SPECS = {spec.name: spec for spec in TOOL_SPECS}


def _method_parameters(spec: ToolSpec) -> dict[str, inspect.Parameter]:
    function = getattr(AgentTools, spec.method_name)
    return {name: p for name, p in inspect.signature(function).parameters.items() if name != "self"}


def _hints(spec: ToolSpec) -> dict[str, Any]:
    return typing.get_type_hints(getattr(AgentTools, spec.method_name))


def test_every_tool_name_has_exactly_one_spec() -> None:
    """Each ToolName is declared once, and nothing else is declared."""
    names = [spec.name for spec in TOOL_SPECS]
    assert sorted(names) == sorted(ToolName)
    assert len(names) == len(set(names))


@pytest.mark.parametrize("spec", TOOL_SPECS, ids=lambda spec: spec.name.value)
def test_spec_parameters_match_the_method_signature(spec: ToolSpec) -> None:
    """Every spec parameter is a keyword parameter of the method with a compatible type; optional ones have
    a method default, and every parameter the method requires is required of the model."""
    method = _method_parameters(spec)
    hints = _hints(spec)
    declared = {param.name: param for param in spec.parameters}
    assert len(declared) == len(spec.parameters), "a parameter is declared twice"
    for name, param in declared.items():
        assert name in method, f"{spec.name}: the method has no parameter {name}"
        assert method[name].kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
        if not param.required:
            assert method[name].default is not inspect.Parameter.empty, f"{spec.name}.{name} needs a default"
        annotation = hints.get(name, Any)
        if annotation is not Any:
            if get_origin(param.type) is Literal:
                assert all(isinstance(value, annotation) for value in get_args(param.type))
            else:
                assert param.type is annotation, f"{spec.name}.{name}: {param.type} vs {annotation}"
    for name, parameter in method.items():
        if parameter.default is inspect.Parameter.empty:
            assert name in declared and declared[name].required, f"{spec.name}: {name} is required"


@pytest.mark.parametrize("spec", TOOL_SPECS, ids=lambda spec: spec.name.value)
def test_the_llm_schema_lists_the_spec_and_nothing_the_method_lacks(spec: ToolSpec) -> None:
    """The JSON schema the model gets names the tool and exactly the spec's parameters, all of them
    parameters of the method, with the spec's required ones and each one described."""
    tools = AgentTools(None, None)  # type: ignore[arg-type]
    schema = function_tool_to_litellm(function_tool(spec, spec.method(tools), tools.invoke))["function"]
    properties = schema["parameters"]["properties"]
    assert schema["name"] == spec.name.value
    assert schema["description"] == spec.description and spec.description
    assert list(properties) == [param.name for param in spec.parameters]
    assert set(properties) <= set(_method_parameters(spec))
    assert set(schema["parameters"].get("required", [])) == {p.name for p in spec.parameters if p.required}
    assert all(prop.get("description") for prop in properties.values())


def test_agent_tools_dispatch_and_line_tools_come_from_the_one_table() -> None:
    """`invoke`'s binding and `line_tools()` cover the same tools, in the table's order, each the method of
    the tool's name."""
    tools = AgentTools(None, None)  # type: ignore[arg-type]
    bound = bind(tools)
    assert list(bound) == [spec.name for spec in TOOL_SPECS]
    assert all(bound[name] == getattr(tools, name.value) for name in ToolName)
    assert tools._tools == bound
    assert [tool.name for tool in tools.line_tools()] == [spec.name.value for spec in TOOL_SPECS]


def test_a_missing_method_is_a_clear_error() -> None:
    """Binding the table to an object lacking a tool's method names the method."""
    with pytest.raises(TypeError, match="verify_identity"):
        bind(object())


class _Recorder:
    """A fake `invoke` that records what each tool was called with."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    async def invoke(self, name: str, **arguments: Any) -> Any:
        self.calls.append((str(name), arguments))
        yield {"ok": True}


def _call(name: ToolName, **given: Any) -> tuple[list[Any], _Recorder]:
    tools, recorder = AgentTools(None, None), _Recorder()  # type: ignore[arg-type]
    line = {tool.name: tool for tool in function_tools(bind(tools), recorder.invoke)}

    async def run() -> list[Any]:
        return [item async for item in line[name.value].func(None, **given)]

    return asyncio.run(run()), recorder


@pytest.mark.parametrize(
    ("name", "given", "expected"),
    [
        (
            ToolName.VERIFY_IDENTITY,
            {"name_confirmed": True, "account_last_4": "four three two one"},
            {"name_confirmed": True, "account_last_4": "four three two one", "postal_code": ""},
        ),
        (
            ToolName.EVALUATE_COUNTER_OFFER,
            {"lump_sum_amount": "two hundred fifty dollars", "first_payment_date": "the fifteenth"},
            {
                "kind": "",
                "lump_sum_amount": "two hundred fifty dollars",
                "installment_amount": None,
                "installments_count": None,
                "down_payment_amount": None,
                "first_payment_date": "the fifteenth",
            },
        ),
        (
            ToolName.SCHEDULE_CALLBACK,
            {"when": "uh next tuesday", "time_of_day": "after like five"},
            {"when": "uh next tuesday", "time_of_day": "after like five"},
        ),
        (ToolName.GET_ACCOUNT_SUMMARY, {}, {}),
        (ToolName.END_CALL, {}, {"reason": ""}),
    ],
)
def test_a_model_call_reaches_invoke_with_the_method_defaults(
    name: ToolName, given: dict[str, Any], expected: dict[str, Any]
) -> None:
    """What the model gave goes through as given; optional parameters it left out get the method's default."""
    items, recorder = _call(name, **given)
    assert items == [{"ok": True}]
    assert recorder.calls == [(name.value, expected)]


@pytest.mark.parametrize(
    ("name", "given", "message"),
    [
        # the scripted brain's escape hatch is not the model's to use
        (ToolName.VERIFY_IDENTITY, {"name_confirmed": True, "count_incomplete": True}, "count_incomplete"),
        # a hallucinated field: card data never has a parameter
        (ToolName.TAKE_PAYMENT, {"amount": "fifty", "card_number": "four one one one"}, "card_number"),
        (ToolName.GIVE_DISCLOSURES, {}, "needs kind"),
        (ToolName.RECORD_DISPUTE, {}, "needs reason"),
        (ToolName.CONFIRM_ARRANGEMENT, {"customer_agreed": True}, "needs offer_id"),
    ],
)
def test_a_model_call_with_bad_arguments_is_refused_before_the_tool_runs(
    name: ToolName, given: dict[str, Any], message: str
) -> None:
    """A parameter the spec lacks or a required one missing is a TypeError and the tool never runs."""
    with pytest.raises(TypeError, match=message):
        _call(name, **given)


def test_call_arguments_keeps_only_declared_parameters() -> None:
    """`call_arguments` fills defaults only for declared optional parameters, not for method-only ones."""
    spec = SPECS[ToolName.VERIFY_IDENTITY]
    defaults = {"account_last_4": "", "postal_code": "", "count_incomplete": False}
    assert call_arguments(spec, defaults, {"name_confirmed": False}) == {
        "name_confirmed": False,
        "account_last_4": "",
        "postal_code": "",
    }
