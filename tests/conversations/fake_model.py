"""A generic collections model for the corpus's LLM brain: it reads only the conversation so far (the last
customer words, the tools' results, the tools it was offered) and acts as a plausible LLM agent would —
recording notice, asks for the customer, verify_identity with the digits it heard, mini-Miranda, account
summary, the first offer, read-back, confirm on a yes, payment, goodbye — plus one `misbehave` switch per
call that makes it wrong in exactly one way (leak, invent_verification, invent_consent, overcharge,
ignore_event, threaten, claim_human, malformed_json, http_500, http_429, hang; and, for the guard's other
rules, invent_figures, false_urgency, contact_family).

It is served by `tests.fake_openai.FakeOpenAI` (whose API it keeps): `CorpusModel.fake` is that fake with one
rule, and the failure modes wrap its app. Calls run one at a time: `begin(...)` sets the next call's truth
and misbehaviour, and `requests_since_begin` is what this call sent the model."""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse

from tests.fake_openai import FakeOpenAI, Reply, ToolCall, tool_results

MISBEHAVIOURS = frozenset(
    {
        "leak", "invent_verification", "invent_consent", "overcharge", "ignore_event", "threaten",
        "claim_human", "malformed_json", "http_500", "http_429", "hang",
        # Beyond the brief's list, for the guard's other rules (item 5):
        "invent_figures", "false_urgency", "contact_family",
    }
)  # fmt: skip
FAILURES = frozenset({"malformed_json", "http_500", "http_429", "hang"})

_ONES = {
    "zero": 0, "oh": 0, "o": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
         "ninety": 90}  # fmt: skip
_DIGIT_WORDS = {k: str(v) for k, v in _ONES.items() if v < 10}


def digits_heard(text: str) -> str:
    """Every digit the customer said, in order: "four three two one" and "4321" alike (crudely: "double
    five" is 55; other number words are ignored)."""
    out, double = [], False
    words = re.findall(r"[a-z]+|\d+", text.lower())
    for index, word in enumerate(words):
        if word == "double":
            double = True
            continue
        if word.isdigit():
            out.append(word)
        elif word == "oh":  # zero only between other digits ("eight five oh oh four"), else a filler
            near = words[max(0, index - 1) : index] + words[index + 1 : index + 2]
            if any((n in _DIGIT_WORDS and n not in {"oh", "o"}) or n.isdigit() or n == "oh" for n in near):
                out.append("0")
        elif word in _DIGIT_WORDS and word != "o":
            out.append(_DIGIT_WORDS[word] * (2 if double else 1))
        double = False
    return "".join(out)


def amount_heard(text: str) -> int | None:
    """A dollar amount said in words or digits ("two hundred fifty dollars", "$250"), crudely."""
    match = re.search(r"\$?(\d[\d,]*)(?:\.\d\d)?\s*(?:dollars|bucks)?", text)
    if match and ("dollar" in text or "$" in text or "bucks" in text):
        return int(match.group(1).replace(",", ""))
    total, current, seen, previous = 0, 0, False, ""
    for word in re.findall(r"[a-z]+", text.lower()):
        if word in {"hundred", "thousand"} and not seen and previous == "a":  # "a hundred dollars"
            current, seen = 1, True
        previous = word
        if word in _ONES:
            current += _ONES[word]
            seen = True
        elif word in _TENS:
            current += _TENS[word]
            seen = True
        elif word == "hundred" and seen:
            current *= 100
        elif word == "thousand" and seen:
            total, current = total + current * 1000, 0
        elif word in {"dollars", "bucks", "dollar"} and seen:
            return total + current
        elif word in {"and", "a"}:
            continue
        elif seen:
            total, current, seen = 0, 0, False
    return None


_RELATIVE = r"(?:husband|wife|son|daughter|mom|mother|dad|father|brother|sister|friend|roommate|partner|boss)"
_YES = re.compile(
    r"\b(?:yes|yeah|yep|yup|sure|okay|ok|that works|sounds good|i agree|correct|speaking|that'?s me|alright|all right"
    rf"|this is (?:she|he|him|her|me)\b(?!'?s? {_RELATIVE}| {_RELATIVE}))\b"
)
_NO = re.compile(r"\b(?:no|nope|nah|not really|i can'?t (?:do|afford|pay|make)|don'?t think so)\b")
_CONDITION = re.compile(r"\b(?:but|if|only if|unless|instead|settle|fifty|hundred)\b")
_WRONG = re.compile(
    r"wrong number|no one here|nobody here|doesn'?t live here|don'?t know (?:him|her|who)|not (?:him|her|me)\b"
    r"|never heard of|personal calls|front desk|(?:he|she|they)'?s? (?:is |are )?not (?:here|home|available|in)|not here right now"
    rf"|in the shower|\bat work right now|can'?t come to the phone|this is (?:his|her|their) {_RELATIVE}"
    rf"|(?:i'?m|this is) (?:his|her|their) {_RELATIVE}|my {_RELATIVE}'?s"
)
_PAY_NOW = re.compile(
    r"\b(?:right now|pay (?:it |that |this )?now|by card|with my card|pay (?:\w+ )?today)\b"
)
_BYE = re.compile(r"\b(?:bye|goodbye|that'?s all|that'?s it|nothing else|no that'?s all)\b")
_ROBOT = re.compile(
    r"(?:are you|is this|am i (?:talking|speaking) (?:to|with)|you a) (?:a |an |like a |even a )?(?:robot|bot|computer|machine|ai|real person|human|automated|actual person)"
)

EVENTS: tuple[tuple[str, re.Pattern[str], tuple[str, ...]], ...] = (
    ("ai_question", _ROBOT, ()),
    ("attorney", re.compile(r"(?:my|a|an|our|his|her) (?:lawyer|attorney)\b(?! general)|represented by|(?:lawyer|attorney) (?:is|handling)"), ("attorney",)),
    ("bankruptcy", re.compile(r"bankrupt|chapter (?:seven|thirteen|eleven|7|13)"), ("bankrupt",)),
    ("deceased", re.compile(r"passed away|died|deceased|passed on|funeral|his estate|her estate"), ("deceased", "death", "estate")),
    ("inconvenient", re.compile(r"(?:don'?t|never|do not) (?:ever )?call (?:me )?(?:before|after|at|during|on|in the|between)"), ("inconvenient", "callback")),
    ("cease", re.compile(r"stop call|don'?t call|do not call|quit calling|never call|no more (?:phone )?calls|cease|stop contacting|take (?:me|my number|this number) off|only (?:contact|reach|write) me by|by mail only"), ("cease",)),
    ("validation", re.compile(r"validat|verification letter|proof (?:of|that)|send me (?:something|proof|the paperwork)|in writing"), ("validation", "dispute")),
    ("dispute", re.compile(r"dispute|not my debt|already paid|paid (?:it|that) off|identity theft|stolen|never opened|fraud|isn'?t mine|not mine"), ("dispute",)),
    ("recording", re.compile(r"(?:don'?t|do not) (?:want to be |)record|stop (?:the )?record|turn off the record|not (?:okay|ok) with (?:being )?record"), ("recording",)),
    ("human", re.compile(r"(?:talk|speak) (?:to|with) (?:a |an |your |someone|somebody)?(?:real |actual |live )?(?:person|human|supervisor|manager|representative|agent|operator|somebody|someone)|transfer me"), ("transfer",)),
    ("inconvenient", re.compile(r"\bat work\b|bad time|not a good time|driving|busy right now|can'?t talk|don'?t call (?:me )?(?:before|after|at|during)|never call (?:me )?(?:before|after|at|during|on)"), ("inconvenient", "callback")),
    ("callback", re.compile(r"call (?:me )?back|call me (?:on|tomorrow|later|next)"), ("callback",)),
    ("hardship", re.compile(r"lost my job|laid off|out of work|medical|hospital|disability|can'?t afford|hardship|barely|unemploy"), ("hardship",)),
)  # fmt: skip


@dataclass
class Truth:
    """What a real model would know from the system prompt, plus what `invent_verification` cheats with."""

    name: str = "Avery Ashgrove"
    last4: str = "4321"
    postal_code: str = "85004"
    balance: str = "1200.00"


@dataclass
class CorpusModel:
    truth: Truth = field(default_factory=Truth)
    misbehave: str | None = None
    fail_from_user_turn: int = 0
    fake: FakeOpenAI = field(init=False)
    offered_tools: list[dict[str, Any]] = field(
        default_factory=list
    )  # the tools of the request being answered
    _begun_at: int = 0

    def __post_init__(self) -> None:
        self.fake = FakeOpenAI(rules=[self.decide])

    def begin(self, truth: Truth, misbehave: str | None, fail_from_user_turn: int = 0) -> None:
        if misbehave is not None and misbehave not in MISBEHAVIOURS:
            raise ValueError(f"unknown model misbehaviour {misbehave!r}")
        self.truth, self.misbehave, self.fail_from_user_turn = truth, misbehave, fail_from_user_turn
        self._begun_at = len(self.fake.requests)

    @property
    def requests_since_begin(self) -> list[dict[str, Any]]:
        return self.fake.requests[self._begun_at :]

    # --- Serving: the fake's app, with the failure modes in front of it ----------------------------------

    def app(self) -> FastAPI:
        inner = self.fake.app()
        app = FastAPI()

        @app.post("/v1/chat/completions", response_model=None)
        async def completions(request: Request) -> Any:
            body = await request.json()
            self.offered_tools = list(body.get("tools") or [])
            failing = self.misbehave in FAILURES and _user_turns(body["messages"]) > self.fail_from_user_turn
            if not failing:
                return await _forward(inner, request)
            self.fake.requests.append(body)
            if self.misbehave == "http_500":
                return JSONResponse({"error": {"message": "internal error", "type": "server_error"}}, 500)
            if self.misbehave == "http_429":
                return JSONResponse(
                    {"error": {"message": "Rate limit reached", "type": "rate_limit_exceeded"}},
                    429,
                    headers={"retry-after": "1"},
                )
            if self.misbehave == "hang":
                await asyncio.sleep(60)  # until the client gives up and disconnects
                return JSONResponse({"error": {"message": "too late"}}, 504)
            return StreamingResponse(
                _malformed_stream(body.get("model", "gpt")), media_type="text/event-stream"
            )

        return app

    # --- The model's behaviour ----------------------------------------------------------------------------

    def decide(self, messages: list[dict[str, Any]]) -> Reply:
        state = _State.of(messages, self.offered_tools)
        last = messages[-1] if messages else {}
        if last.get("role") == "tool":
            return self._after_tool(state, str(last.get("name")), _json(last.get("content")))
        return self._on_user(state, state.last_user)

    def _after_tool(self, s: _State, name: str, result: dict[str, Any]) -> Reply:  # noqa: PLR0911 -- a scripted model is one decision table
        m = self.misbehave
        if name == "give_disclosures" and result.get("kind") == "recording_notice":
            return self._on_user(s, s.last_user)
        if name == "verify_identity":
            outcome = result.get("outcome")
            if result.get("verified"):
                return Reply(tool_calls=(ToolCall("give_disclosures", {"kind": "mini_miranda"}),
                                         ToolCall("get_account_summary", {}), ToolCall("get_payment_options", {})))  # fmt: skip
            if outcome == "wrong_party":
                return _goodbye("I'm sorry to have bothered you. Have a good day. Goodbye.", "wrong party")
            if outcome == "locked":
                return _goodbye("I'm sorry, I wasn't able to verify your identity. Goodbye.", "locked")
            event = _event(s.last_user)
            if outcome == "name_confirmed" and event is not None and event[0] in {"callback", "inconvenient"}:
                return Reply(tool_calls=(ToolCall("schedule_callback", {"when": s.last_user}),))
            if outcome == "mismatch":
                return Reply(text="I'm sorry, that doesn't match our records. Could you repeat the last four digits of your account number and your ZIP code?")  # fmt: skip
            return Reply(text="Thank you. To protect your privacy, please tell me the last four digits of your account number and your ZIP code.")  # fmt: skip
        if name == "get_payment_options":
            return self._quote(s, result)
        if name == "evaluate_counter_offer" and isinstance(result.get("offer"), dict):
            return Reply(tool_calls=(ToolCall("confirm_arrangement", {"offer_id": result["offer"]["id"]}),))
        if name == "evaluate_counter_offer":
            return Reply(text="I'm sorry, I can't offer that. Would the option I mentioned work for you?")
        if name == "confirm_arrangement":
            if result.get("read_back"):
                if m == "invent_consent":
                    return Reply(tool_calls=(ToolCall("confirm_arrangement", {"offer_id": result.get("offer_id", ""), "customer_agreed": True}),))  # fmt: skip
                return Reply(text="")  # the tool read the terms back; wait for the customer
            if result.get("confirmed"):
                if s.wants_to_pay_now:
                    return self._take_payment(s, str(result.get("first_payment_amount") or ""))
                return Reply(text="Thank you, that's all set. Would you like to make the first payment now by card?")  # fmt: skip
            return Reply(text="I'm sorry, I couldn't set that up. What would work for you?")
        if name == "take_payment":
            if result.get("started"):
                return Reply(text="")
            return Reply(text="I'm sorry, I can't take that payment right now. Is there anything else I can help with?")  # fmt: skip
        if name == "end_call":
            return Reply(text="")
        if name == "transfer_to_human":
            if result.get("transferred") is False:
                return Reply(text="I can't transfer you right now, but I can have someone call you back. What day works?")  # fmt: skip
            return Reply(text="")
        if name == "record_hardship":
            return Reply(tool_calls=(ToolCall("get_payment_options", {"hardship": True}),))
        if name == "schedule_callback":
            if result.get("scheduled"):
                return _goodbye("You're all set, we'll call you then. Goodbye.", "callback")
            return Reply(text="What day would work for a call back?")
        if "recording" in name:
            return Reply(text="Okay, I've stopped the recording.")
        if name.startswith("record_") or result.get("recorded") is not None:
            return _goodbye("I've noted that on your account. Thank you, goodbye.", name)
        return Reply(text="Is there anything else I can help you with?")

    def _on_user(self, s: _State, text: str) -> Reply:  # noqa: PLR0911 -- a scripted model is one decision table
        m, t = self.misbehave, self.truth
        if m == "leak" and not s.assistant_spoke:
            return Reply(text=f"Hi {t.name}, this is Alex from Demo Bank. You owe ${float(t.balance):,.2f} on your account ending in {t.last4}. Can you pay today?")  # fmt: skip
        if not s.recording_given:
            return Reply(tool_calls=(ToolCall("give_disclosures", {"kind": "recording_notice"}),))
        if not text:
            return Reply(text="")
        event = _event(text)
        if event is not None and not (m == "ignore_event" and event[0] not in {"ai_question", "human"}):
            reply = self._event(s, text, *event)
            if reply is not None:
                return reply
        if _BYE.search(text) and not s.awaiting_factors:
            return _goodbye("Thank you for your time. Goodbye.", "done")
        if not s.name_confirmed:
            first = t.name.split()[0].lower()
            if _YES.search(text) and re.search(rf"(?:this is|it'?s|i'?m) {first}\b", text):
                return Reply(tool_calls=(ToolCall("verify_identity", {"name_confirmed": True, **_factors(text)}),))  # fmt: skip
            if _WRONG.search(text) or (_NO.search(text) and not _YES.search(text)):
                return Reply(tool_calls=(ToolCall("verify_identity", {"name_confirmed": False}),))
            if _YES.search(text) or re.search(rf"(?:this is|it'?s|i'?m|my name is|name'?s) {first}\b", text):
                return Reply(tool_calls=(ToolCall("verify_identity", {"name_confirmed": True, **_factors(text)}),))  # fmt: skip
            return Reply(text=f"Hi, this is Alex calling from Demo Bank. May I please speak with {t.name}?")
        if not s.verified:
            if m == "invent_verification":
                arguments = {"name_confirmed": True, "account_last_4": t.last4, "postal_code": t.postal_code}
                return Reply(tool_calls=(ToolCall("verify_identity", arguments),))
            factors = _factors(s.factor_words)
            if factors.get("account_last_4") and factors.get("postal_code"):
                return Reply(tool_calls=(ToolCall("verify_identity", {"name_confirmed": True, **factors}),))
            if factors.get("account_last_4"):
                return Reply(text="Thank you. And your ZIP code?")
            if factors.get("postal_code"):
                return Reply(text="Thank you. And the last four digits of your account number?")
            return Reply(text="Please tell me the last four digits of your account number and your ZIP code.")
        if s.options is None:
            return Reply(tool_calls=(ToolCall("get_payment_options", {}),))
        if s.confirmed is not None:
            first = str(s.confirmed.get("first_payment_amount") or "")
            if _YES.search(text) or "card" in text or _PAY_NOW.search(text):
                return self._take_payment(s, first)
            return _goodbye("Thank you, you'll receive the terms in writing. Goodbye.", "arranged")
        if s.read_back is not None:
            offer_id = str(s.read_back.get("offer_id") or "")
            agreed = _YES.search(text) and not _NO.search(text) and not _CONDITION.search(text)
            if agreed or m == "invent_consent":
                return Reply(tool_calls=(ToolCall("confirm_arrangement", {"offer_id": offer_id, "customer_agreed": True}),))  # fmt: skip
            if _NO.search(text) and not _CONDITION.search(text):
                return Reply(text="No problem. What would work better for you?")
        counter = _counter(text)
        if counter is not None:
            return Reply(tool_calls=(ToolCall("evaluate_counter_offer", counter),))
        if _YES.search(text) and not _NO.search(text) and s.options.get("offers"):
            return Reply(tool_calls=(ToolCall("confirm_arrangement", {"offer_id": s.options["offers"][0]["id"]}),))  # fmt: skip
        if _NO.search(text):
            return Reply(text="I understand. Is there an amount you could manage each month?")
        return Reply(text="I'm sorry, I didn't catch that. Would the option I mentioned work for you?")

    def _take_payment(self, s: _State, first: str) -> Reply:
        amount = s.summary_balance if self.misbehave == "overcharge" else first
        return Reply(text=f"Okay, I'll take a payment of ${amount} now.", tool_calls=(ToolCall("take_payment", {"amount": amount}),))  # fmt: skip

    def _quote(self, s: _State, options: dict[str, Any]) -> Reply:
        scripted_lines = {
            "threaten": "If you don't pay today we will take this before a judge and call your employer.",
            "invent_figures": "Good news: I can take 40% off, so you'd pay half the balance, $600, in 3 payments by January 30.",
            "false_urgency": "This offer expires in the next ten minutes, so you need to decide right now or it goes to legal.",
            "contact_family": "If we can't settle this today we'll have to reach out to your family and your neighbors about it.",
        }  # fmt: skip
        if self.misbehave in scripted_lines:
            return Reply(text=scripted_lines[self.misbehave])
        offers = options.get("offers") or []
        if not offers:
            return Reply(text="I don't have an option to offer today. Is there anything else?")
        balance = f"${float(options.get('balance') or s.summary_balance or 0):,.2f}"
        lead = "Because of your situation, there's a gentler option. " if options.get("hardship") else ""
        return Reply(text=f"{lead}Your balance is {balance}. {offers[0]['summary']} Would that work for you?")

    def _event(self, s: _State, text: str, kind: str, keywords: tuple[str, ...]) -> Reply | None:  # noqa: PLR0911 -- a scripted model is one decision table
        if kind == "ai_question":
            if self.misbehave == "claim_human":
                return Reply(text="No, I'm a real person. Now, about your account.")
            return Reply(text="I'm an automated virtual assistant calling on behalf of Demo Bank. I can also connect you with a person if you prefer.")  # fmt: skip
        if kind == "hardship" and not s.verified:
            return None
        if kind in {"callback", "inconvenient"} and not s.name_confirmed:
            return None  # first who is speaking; a callback for the customer comes once they confirm
        tool = _find_tool(s.tools, keywords)
        if tool is None:
            if kind == "recording":
                return Reply(text="I understand. Recording is required for this call; I can have someone contact you in writing instead.")  # fmt: skip
            return None
        if tool["name"] == "verify_identity":
            return None
        return Reply(tool_calls=(ToolCall(tool["name"], _fill(tool, text, kind)),))


# --- Reading the conversation ----------------------------------------------------------------------------


@dataclass
class _State:
    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]]
    last_user: str = ""
    assistant_spoke: bool = False
    recording_given: bool = False
    name_confirmed: bool = False
    verified: bool = False
    awaiting_factors: bool = False
    factor_words: str = ""
    options: dict[str, Any] | None = None
    read_back: dict[str, Any] | None = None
    confirmed: dict[str, Any] | None = None
    summary_balance: str = ""
    wants_to_pay_now: bool = False  # the customer said, once offers were on the table, they pay now

    @classmethod
    def of(cls, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> _State:
        state = cls(messages=messages, tools=tools)
        since_verify: list[str] = []
        for message in messages:
            role = message.get("role")
            if role == "user":
                state.last_user = _normal(str(message.get("content") or ""))
                since_verify.append(state.last_user)
                if state.options is not None and _PAY_NOW.search(state.last_user):
                    state.wants_to_pay_now = True
            elif role == "assistant" and message.get("content"):
                state.assistant_spoke = True
                state.recording_given |= "recorded" in str(message["content"])
            elif role == "tool":
                result, name = _json(message.get("content")), message.get("name")
                if name == "give_disclosures" and (
                    result.get("kind") == "recording_notice" or result.get("already")
                ):
                    state.recording_given = True
                elif name == "verify_identity":
                    since_verify = []
                    state.name_confirmed = state.name_confirmed or result.get("outcome") not in {
                        "wrong_party",
                        "not_applicable",
                    }
                    state.verified = state.verified or bool(result.get("verified"))
                elif name == "get_payment_options" and result.get("offers") is not None:
                    state.options = result
                elif name == "get_account_summary" and result.get("balance"):
                    state.summary_balance = str(result["balance"])
                elif name == "confirm_arrangement":
                    if result.get("read_back"):
                        state.read_back = result
                    elif result.get("confirmed"):
                        state.confirmed, state.read_back = result, None
        state.awaiting_factors = state.name_confirmed and not state.verified
        state.factor_words = " ".join(since_verify)
        return state


def _user_turns(messages: list[dict[str, Any]]) -> int:
    return sum(1 for m in messages if m.get("role") == "user")


def _normal(text: str) -> str:
    return re.sub(r"[^\w\s'$.]", " ", text.lower())


def _json(content: Any) -> dict[str, Any]:
    try:
        value = json.loads(content or "null")
    except (TypeError, ValueError):
        return {"raw": content}
    return value if isinstance(value, dict) else {"raw": value}


def _event(text: str) -> tuple[str, tuple[str, ...]] | None:
    for kind, pattern, keywords in EVENTS:
        if pattern.search(text):
            return kind, keywords
    return None


_FACTOR_LABEL = re.compile(
    r"\b(?:zip(?: code)?|postal(?: code)?|last (?:four|4)(?: digits)?|account(?: number)?|ends? in|four digits)\b"
)


def _factors(text: str) -> dict[str, str]:
    """Last 4 and ZIP as a model would take them: by what the customer called each, else in order."""
    labelled: dict[str, str] = {}
    pieces = _FACTOR_LABEL.split(text)
    labels = _FACTOR_LABEL.findall(text)
    loose = digits_heard(pieces[0])
    for label, piece in zip(labels, pieces[1:], strict=True):
        digits = digits_heard(piece)
        key = "postal_code" if label.startswith(("zip", "postal")) else "account_last_4"
        if digits:
            labelled.setdefault(key, digits[: 5 if key == "postal_code" else 4])
            rest = digits[5 if key == "postal_code" else 4 :]
            if rest:
                loose += rest
    loose_iter = loose
    if "account_last_4" not in labelled and len(loose_iter) >= 4:
        labelled["account_last_4"], loose_iter = loose_iter[:4], loose_iter[4:]
    if "postal_code" not in labelled and len(loose_iter) >= 5:
        labelled["postal_code"] = loose_iter[:5]
    return labelled


def _counter(text: str) -> dict[str, str] | None:
    amount = amount_heard(text)
    if re.search(r"settle|lump sum|one time|knock (?:it|some) off|less", text):
        return {"kind": "settlement", **({"lump_sum_amount": str(amount)} if amount else {})}
    if re.search(
        r"pay (?:it |the )?(?:all|in full|off)|pay (?:the |it )?(?:whole|full)|whole (?:thing|balance)|full (?:amount|balance)",
        text,
    ):
        when = re.search(r"(today|tomorrow|friday|monday|next week|right now|the \w+(?:th|st|nd|rd))", text)
        return {"kind": "pay_in_full", **({"first_payment_date": when.group(1)} if when else {})}
    if re.search(r"a month|per month|monthly|payment plan|installments|in payments", text):
        return {"kind": "payment_plan", **({"installment_amount": str(amount)} if amount else {})}
    if amount:
        return {"kind": "settlement", "lump_sum_amount": str(amount)}
    return None


def _find_tool(tools: list[dict[str, Any]], keywords: tuple[str, ...]) -> dict[str, Any] | None:
    """The offered tool a model would pick: the first keyword in a tool's name, else in its description."""
    functions = [t.get("function", t) for t in tools]
    for keyword in keywords:
        for function in functions:
            if keyword in str(function.get("name", "")):
                return function
    for keyword in keywords:
        for function in functions:
            if keyword in str(function.get("description", "")).lower():
                return function
    return None


_RELATIONS = re.compile(r"\b(wife|husband|son|daughter|mother|mom|father|dad|brother|sister|partner|executor|niece|nephew|friend|roommate)\b")  # fmt: skip


def _fill(tool: dict[str, Any], text: str, kind: str) -> dict[str, Any]:
    """Arguments from the tool's schema, filled from the customer's words the way a model guesses them."""
    properties = (tool.get("parameters") or {}).get("properties") or {}
    arguments: dict[str, Any] = {}
    for name, schema in properties.items():
        kind_of = schema.get("type")
        options = schema.get("enum")
        if options:
            chosen = next((o for o in options if str(o).replace("_", " ") in text), None)
            if chosen is not None:
                arguments[name] = chosen
            continue
        if kind_of == "boolean":
            arguments[name] = name in {kind, "name_confirmed"}
            continue
        if kind_of == "integer":
            number = re.search(r"chapter (\w+)", text) if "chapter" in name else None
            if number:
                arguments[name] = int(_ONES.get(number.group(1), 0) or digits_heard(number.group(1)) or 0)
            continue
        if "phone" in name or "case" in name or "number" in name:
            arguments[name] = digits_heard(text)
        elif "chapter" in name:
            number = re.search(r"chapter (\w+)", text)
            arguments[name] = (_ONES.get(number.group(1)) and str(_ONES[number.group(1)])) or digits_heard(number.group(1)) if number else ""  # fmt: skip
        elif "relation" in name:
            relation = _RELATIONS.search(text)
            arguments[name] = relation.group(1) if relation else ""
        elif "name" in name:
            named = re.search(r"(?:name is|named|it'?s|attorney is|lawyer is)\s+([a-z]+(?: [a-z]+)?)", text)
            arguments[name] = named.group(1) if named else ""
        elif name in {"when", "date", "day"}:
            arguments[name] = text
        elif kind_of == "string":
            arguments[name] = text[:200]
    return arguments


def _goodbye(text: str, reason: str) -> Reply:
    return Reply(text=text, tool_calls=(ToolCall("end_call", {"reason": reason}),))


async def _forward(app: FastAPI, request: Request) -> Any:
    """Hand the request to the well-behaved fake (its own route function)."""
    for route in app.routes:
        if getattr(route, "path", None) == "/v1/chat/completions":
            return await route.endpoint(request)  # type: ignore[attr-defined]
    raise RuntimeError("the fake has no completions route")


def _malformed_stream(model: str) -> Any:
    def chunk(delta: dict[str, Any], finish: str | None = None) -> str:
        payload = {"id": "chatcmpl-bad", "object": "chat.completion.chunk", "created": 1_700_000_000,
                   "model": model, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}  # fmt: skip
        return f"data: {json.dumps(payload)}\n\n"

    def stream() -> Any:
        yield chunk({"role": "assistant"})
        call = {"index": 0, "id": "call_bad", "type": "function",
                "function": {"name": "confirm_arrangement", "arguments": '{"offer_id": "o1", "customer_agreed": tru'}}  # fmt: skip
        yield chunk({"tool_calls": [call]})
        yield chunk({}, "tool_calls")
        yield "data: [DONE]\n\n"

    return stream()


__all__ = ["CorpusModel", "Truth", "amount_heard", "digits_heard", "tool_results"]
