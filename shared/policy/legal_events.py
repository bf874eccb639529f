"""Legal events in the customer's words, and what each obliges the agent (and the code) to do.

`recognize` reads one utterance as speech recognition delivers it (lower case, no punctuation, numbers as
words, fillers) and returns every legal event in it with the details said: "my lawyer is handling it stop
calling me" is an attorney and a cease. Precision matters as much as recall: a hedge ("i'm not bankrupt
yet"), the customer's own loss told as hardship ("my dad passed away last year so money is tight") or the
customer's own future ("i'll stop calling you people") is not an event.

`OBLIGATIONS` is the table the agent host obeys, one row per kind (US baseline: FDCPA 805/807/809,
Regulation F 1006.6/1006.14/1006.34, TCPA, state all-party recording consent): what the agent says, the
same as an instruction for a language model, what code records, which topics are forbidden afterwards, and
whether the call continues, transfers or ends. `obligation_for` picks the row for an event and who said it.

Pure and deterministic: no I/O, no clock (the caller passes `today`)."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from shared.policy.spoken import digit_groups, parse_date, words_to_number


class LegalEventKind(StrEnum):
    CEASE = "cease"  # stop all contact
    CEASE_NUMBER = "cease_number"  # don't call THIS number
    CEASE_CHANNEL = "cease_channel"  # no phone, other channels ok
    DISPUTE = "dispute"  # not mine, don't owe it, already paid, identity theft, wrong amount
    VALIDATION_REQUEST = "validation_request"  # proof / validation / verification of the debt
    ATTORNEY = "attorney"  # represented by a lawyer
    BANKRUPTCY = "bankruptcy"  # filed / in bankruptcy
    DECEASED = "deceased"  # the customer died, said by someone else
    WRONG_NUMBER = "wrong_number"  # the number does not belong to the customer
    THIRD_PARTY = "third_party"  # someone else answered
    INCONVENIENT_TIME = "inconvenient_time"  # now and/or a standing period
    RECORDING_OBJECTION = "recording_objection"  # no consent to recording
    AI_QUESTION = "ai_question"  # "am i talking to a robot"
    HUMAN_REQUEST = "human_request"  # "let me talk to a person"
    HARDSHIP = "hardship"  # lost job, medical, disability, fixed income
    CALLBACK_REQUEST = "callback_request"  # "call me back tomorrow"


@dataclass(frozen=True)
class LegalEvent:
    kind: LegalEventKind
    details: Mapping[str, Any] = field(default_factory=dict)  # JSON-safe values only


# --- Normalizing what speech recognition gives us -----------------------------------------------------------

_FILLERS = re.compile(r"\b(?:u+m+|u+h+m*|e+r+m*|h+m+|mm+|you know|i mean)\b")
_SPACES = re.compile(r"\s+")


def _normalize(text: str) -> str:
    """Lower case, apostrophes dropped ("don't" → "dont"), punctuation to spaces, fillers out."""
    lowered = text.lower().replace("\u2019", "'").replace("'", "")
    lowered = re.sub(r"[^a-z0-9:\- ]", " ", lowered)
    lowered = re.sub(r"(?<=[a-z])-|-(?=[a-z])", " ", lowered)  # "co-worker", "e-mail"; keep "23-12345"
    lowered = _FILLERS.sub(" ", lowered)
    return _SPACES.sub(" ", lowered).strip()


def _rx(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns))


_NOT = r"(?<!not )(?<!never )(?<!didnt )(?<!dont )"

# --- Cease ------------------------------------------------------------------------------------------------

_NUMBER_WORDS = r"(?:this|that|my|the) (?:number|phone|line|cell|cell phone|house phone|landline)"
_CEASE_NUMBER = _rx(
    rf"\b(?:stop|quit) (?:calling|ringing|phoning) (?:me )?(?:on |at )?{_NUMBER_WORDS}",
    rf"\b(?:dont|do not|never) (?:ever )?(?:call|ring|phone|dial) (?:me )?(?:on |at )?{_NUMBER_WORDS}",
    rf"\b(?:take|remove|delete|get|drop) {_NUMBER_WORDS} (?:off|from|out of)",
    r"\b(?:lose|forget) this number\b",
    r"\bthis (?:number|phone) (?:is off limits|is not to be called)",
)
_CEASE = _rx(
    r"(?<!\bi )(?<!\bill )(?<!\bwe )(?<!\bwill )(?<!\bgonna )(?<!\bto )\b(?:stop|quit) (?:calling|ringing|phoning|"
    r"contacting|bothering|harassing|hounding|texting)(?! you)\b(?! me at (?:work|my job))"
    r"(?! (?:my job|my work|my office|my workplace)\b)",
    r"\b(?:dont|do not|never) (?:ever )?(?:call|contact|phone|bother) me (?:ever )?(?:again|anymore|any more|"
    r"no more|at all|period|ever)\b",
    r"\bleave me alone\b",
    r"\b(?:take|remove|delete|get) me (?:off|from|out of) (?:your|the) (?:\w+ )?(?:list|system|calls)\b",
    r"\bcease (?:and desist|all contact|all communication|contact|communication|calling)\b",
    r"\bno more (?:calls|phone calls|calling)\b",
    r"\bi (?:dont|do not) want (?:you|any of you|anyone|anybody|your company) (?:to )?(?:\w+ )?"
    r"(?:call|calling|contact|contacting) me\b",
    r"\bi want (?:the|these|your|all the) (?:calls|phone calls) to stop\b",
    r"\bstop (?:the|these|all the|all these|your) (?:calls|phone calls)\b",
    r"\bquit bothering me\b",
)
# "don't call me" alone is a cease; followed by a time ("before noon", "at work") it is an inconvenient time.
_DONT_CALL_ME = re.compile(
    r"\b(?:dont|do not|never) (?:ever )?(?:call|contact) me(?: back)?\b(?P<rest>(?: \w+){0,3})"
)
_TIME_QUALIFIER = re.compile(
    r"^ (?:before|after|until|till|til|in the|on|at|during|between|this|today|tonight|tomorrow|right now|"
    r"now|mornings?|evenings?|nights?|weekends?|weekdays?|sundays?|saturdays?|mondays?|tuesdays?|"
    r"wednesdays?|thursdays?|fridays?|early|late|so early|so late|when|while|just|anymore on)\b"
)
_CEASE_CHANNEL = _rx(
    r"\bonly (?:contact|reach|communicate with|talk to) me (?:by|through|in|via|over) "
    r"(?:writing|mail|email|e mail|letter|letters|text|texts|the mail|post)\b",
    r"\b(?:contact|reach|communicate with) me (?:only )?(?:by|through|in|via) (?:writing|mail|email|e mail|"
    r"letter|letters|the mail|text) only\b",
    r"\b(?:send|mail|write) me (?:a letter|letters|an email|emails|a text|texts|mail|something) instead\b",
    r"\b(?:email|e mail|text|write|mail) me instead\b",
    r"\b(?:just|only) (?:send|mail) me (?:a letter|letters|an email|emails|mail)\b",
    r"\bno (?:more )?(?:phone calls|calls)[ ,]+(?:just|only) (?:send|mail|email|text|write)",
    r"\b(?:in writing|by mail|by email|by letter) only\b",
    r"\b(?:dont|do not|stop) (?:call|calling) me[ ,]+(?:just|only)? ?(?:send|mail|email|e mail|text|write)",
)

# --- Dispute and validation ----------------------------------------------------------------------------------

_DISPUTE_REASONS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "identity_theft",
        _rx(
            r"\bidentity (?:theft|thief|was stolen|got stolen)\b",
            r"\b(?:stole|stolen|used|took|steal) my (?:identity|name|information|info|social|social security|"
            r"card|credit card)\b",
            r"\bmy (?:identity|information|info|card) (?:was|got) (?:stolen|used)\b",
            r"\bfraud(?:ulent)?\b(?! alert)",
            r"\bsomeone (?:else )?opened (?:it|this|that|an account|this account) in my name\b",
        ),
    ),
    (
        "already_paid",
        _rx(
            r"\bi (?:already|all ready) paid\b",
            r"\b(?:i|we) paid (?:that|this|it|the whole thing) (?:off|already|in full)\b",
            r"\b(?:it|this|that) (?:was|is|has been|got) (?:already )?paid(?: off| in full)?\b",
            r"\bi (?:already )?(?:settled|paid off) (?:that|this|it)\b",
            r"\b(?:its|thats) (?:already )?paid off\b",
        ),
    ),
    (
        "wrong_amount",
        _rx(
            r"\b(?:the|that|this|your) (?:amount|balance|number|total) (?:is |s )?(?:wrong|incorrect|not right|off)\b",
            r"\b(?:wrong|incorrect) (?:amount|balance|total)\b",
            r"\bi (?:dont|do not) owe (?:that much|(?:all )?that amount|(?:anywhere )?near that)\b",
            r"\bthats (?:way )?(?:too much|more than i owe)\b",
            r"\bi only owe\b",
        ),
    ),
    (
        "not_mine",
        _rx(
            r"\b(?:this|that|it|the) (?:debt |account |card |loan |bill )?(?:is|s|isnt|aint) (?:not )?mine\b",
            r"\b(?:its|thats) not mine\b",
            r"\b(?:its|thats|this is|that is|this isnt|that isnt) not my (?:debt|account|card|loan|bill)\b",
            r"\b(?:this|that) isnt my (?:debt|account|card|loan|bill)\b",
            r"\bi (?:dont|do not) owe (?:this|that|it|anything|you|nothing|them|any)\b(?! (?:an? )?explanation)",
            r"\bi never (?:had|opened|signed (?:up )?for|applied for|took out|used) (?:this|that|an?|any|no)\b",
            r"\bi (?:dont|do not) (?:have|recognize|know (?:about|anything about)) (?:this|that|any) "
            r"(?:debt|account|card|loan)\b",
            r"\bnot my (?:debt|account|card|loan)\b",
            r"\bi (?:never agreed to|dont remember|do not remember|dont recognize|do not recognize|never made) "
            r"(?:this|that|any|these|those) (?:debt|account|charge|charges|loan|card|purchase|purchases)\b",
        ),
    ),
    ("other", _rx(r"\bi (?:dispute|am disputing|want to dispute|wanna dispute)\b", r"\bim disputing\b")),
)
_VALIDATION = _rx(
    r"\b(?:send|mail|show|give) (?:me )?(?:the |some |any )?(?:proof|documentation|paperwork|documents)\b",
    r"\bprove (?:it|that|this|i owe)\b",
    r"\b(?:validate|validating|validation of|verify|verification of) (?:this|that|the|my)? ?(?:debt|account)\b",
    r"\b(?:debt )?validation (?:letter|notice|request|information)\b",
    r"\bi (?:want|need|would like|wanna|d like) (?:it|that|this|that debt|this debt|everything|something|"
    r"the details|all of it|the information) (?:\w+ )?in writing\b",
    r"\bsend (?:me )?(?:it|that|this|something|everything|the details|the information|the info|"
    r"the paperwork) (?:\w+ )?in writing\b",
    r"\bput (?:it|that|this) in writing\b",
    r"\b(?:send|mail) me (?:something|it|that|the details|a statement|statements|a copy|the contract|a bill|"
    r"the information|the info|the records|some information)(?: in the mail| by mail| in writing)?\b",
    r"\b(?:i want|i need|send me|can i get|can i have) a copy of (?:the|my|that|this) (?:contract|agreement|"
    r"statement|bill|application)\b",
    r"\b(?:i want|i need|send me|wheres the|where is the) (?:a )?(?:\w+ )?proof\b",
)

# --- Attorney, bankruptcy, death ----------------------------------------------------------------------------

_ATTORNEY = _rx(
    rf"{_NOT}\b(?:my|our) (?:bankruptcy |divorce |own |personal |family |new )?(?:lawyer|lawyers|attorney|attorneys|legal counsel|counsel)\b(?! general| appointment| consult)",
    r"(?<!dont )(?<!do not )(?<!never )\b(?:i|we) (?:have|got|hired|retained|already have|already got) "
    r"(?:a|an|me a|myself a|an?) ?(?:lawyer|attorney|legal counsel)\b(?! appointment| consult)",
    r"\b(?:im|i am|we are|were) (?:being )?represented by\b",
    r"\b(?:lawyer|attorney) (?:is )?(?:handling|representing|taking care of|dealing with)\b",
)
_NAME_STOP = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "is",
        "it",
        "its",
        "handling",
        "handles",
        "dealing",
        "going",
        "taking",
        "on",
        "in",
        "at",
        "to",
        "of",
        "for",
        "with",
        "from",
        "this",
        "that",
        "he",
        "she",
        "they",
        "his",
        "her",
        "their",
        "my",
        "your",
        "our",
        "me",
        "you",
        "him",
        "them",
        "i",
        "we",
        "no",
        "not",
        "yes",
        "okay",
        "ok",
        "so",
        "just",
        "now",
        "then",
        "there",
        "here",
        "call",
        "calling",
        "number",
        "phone",
        "name",
        "reach",
        "contact",
        "stop",
        "please",
        "thanks",
        "thank",
        "down",
        "over",
        "out",
        "up",
        "about",
        "all",
        "everything",
        "anything",
        "something",
        "good",
        "bad",
        "really",
        "very",
        "like",
        "well",
        "sir",
        "maam",
        "right",
        "wrong",
        "lawyer",
        "attorney",
        "office",
        "firm",
        "law",
        "estate",
        "executor",
        "dont",
        "cant",
        "wont",
        "will",
        "would",
        "can",
        "could",
        "should",
        "been",
        "be",
        "was",
        "were",
        "has",
        "have",
        "had",
        "do",
        "does",
        "did",
        "get",
        "got",
    ]
)
_ATTORNEY_NAME = re.compile(
    r"\b(?:lawyer|lawyers|attorney|attorneys|counsel)(?:s name| name)? is (?:named |called )?(?=(?P<name>[a-z]+(?: [a-z]+){0,2}))"
    r"|\b(?:his|her|their) name is (?=(?P<name2>[a-z]+(?: [a-z]+){0,2}))"
    r"|\b(?:lawyer|attorney) (?:named|called) (?=(?P<name3>[a-z]+(?: [a-z]+){0,2}))"
)
_BANKRUPTCY = _rx(
    r"(?<!might )(?<!may )(?<!gonna )(?<!to )(?<!about )(?<!considering )(?<!should )(?<!not )"
    r"\b(?:i|we|ive|weve|i have|we have|i just|we just|i already|we already|i had to|we had to|i|we) "
    r"(?:have |just |already |recently )?(?:filed|declared|went into|went through|entered) (?:for )?"
    r"(?:personal )?(?:bankruptcy|bankrupt|chapter)\b",
    r"\b(?:im|i am|we are|were|were currently|im currently) (?:currently |actually |still |now |already )?"
    r"(?:in|going through|under) "
    r"(?:a |an |the |active )?(?:bankruptcy|chapter (?:seven|eleven|thirteen|7|11|13))\b",
    r"\bmy (?:bankruptcy|chapter (?:seven|eleven|thirteen|7|11|13))\b",
    r"\b(?:bankruptcy|chapter (?:seven|eleven|thirteen|7|11|13)) (?:case|filing|petition|trustee|court|plan|"
    r"was filed|was discharged|got discharged|discharge)\b",
    r"\b(?:this|that|it|the debt|the account) (?:was|is|got) (?:included|discharged|listed) in (?:my|the|our) "
    r"(?:bankruptcy|chapter)\b",
    r"(?<!not )(?<!almost )(?<!nearly )(?<!basically )(?<!practically )(?<!pretty much )"
    r"\b(?:im|i am|we are|were) bankrupt\b(?! yet)",
    r"\b(?:i|we) went bankrupt\b",
)
_BANKRUPTCY_HEDGE = re.compile(
    r"\b(?:might|may|could|gonna|going to|thinking (?:about|of)|considering|about to|should i|"
    r"have to|might have to|talk(?:ing)? about|look(?:ing)? into|if i|unless) (?:\w+ ){0,2}"
    r"(?:file|filing|go|going|declare|declaring)? ?(?:for )?(?:bankruptcy|bankrupt)\b"
)
_CHAPTER = re.compile(r"\bchapter (seven|eleven|thirteen|7|11|13)\b")
_CASE_NUMBER = re.compile(r"\bcase (?:number|no|num|#)(?: is)? (?P<rest>.+)")
_RELATIONS = (
    "husband|wife|spouse|mother|mom|mommy|mama|father|dad|daddy|papa|son|daughter|brother|sister|"
    "grandmother|grandma|grandfather|grandpa|aunt|uncle|partner|fiance|fiancee|boyfriend|girlfriend|"
    "niece|nephew|cousin|roommate|friend|neighbor|stepson|stepdaughter|stepfather|stepmother|"
    "caregiver|caretaker|nurse|coworker|co worker|boss|landlord|tenant|babysitter"
)
_DIED = (
    r"(?:passed away|passed on|passed (?:in|last|recently|earlier|a few|this|on|back)|died|is deceased|"
    r"s deceased|is dead|s dead|deceased|is no longer (?:with us|alive|living)|s no longer with us|"
    r"has passed|had passed|just passed|recently passed|recently died|just died)"
)
_DECEASED = _rx(
    rf"\b(?:he|she|hes|shes|they|theyre) {_DIED}\b",
    r"\b(?:hes|shes|he is|she is) (?:dead|deceased|gone now|no longer with us|no longer alive)\b",
    rf"\bmy (?P<rel>{_RELATIONS}) (?:\w+ ){{0,2}}{_DIED}\b",  # "my mom avery ashgrove passed away"
    rf"\b(?:mr|mrs|ms|miss) [a-z]+ {_DIED}\b",
    rf"\b(?:the person|the man|the woman|the lady|the guy|the gentleman) you(?:re| are)? "
    rf"(?:looking|asking|calling) for {_DIED}\b",
    r"\b(?:im|i am) (?:the )?(?:executor|executrix|administrator|personal representative) of (?:his|her|the|their)\b",
    r"\b(?:im|i am) (?:handling|settling|managing|taking care of) (?:his|her|their) estate\b",
    r"\b(?:his|her|their) (?:estate|funeral|death certificate|obituary)\b",
)
_NOT_A_PERSON = re.compile(
    r"\bmy (?:phone|cell|battery|car|truck|dog|cat|pet|bird|fish|plant|plants|computer|laptop|tv|fridge)\b"
    r"|\b(?:phone|battery|car) (?:just )?died\b|\balmost died\b|\bdead (?:tired|serious|broke)\b"
)
# The speaker's own hardship: a relative's death told to explain money trouble is not the customer's death.
_MONEY_TROUBLE = re.compile(
    r"\b(?:moneys?|tight|afford|struggl\w*|hard time|hard times|rough|behind|income|paycheck|broke|bills|"
    r"funeral (?:costs|expenses|bills)|expenses|so i|since then|ever since|cant pay|can not pay|cannot pay|"
    r"lost (?:his|her|our) income|budget)\b"
)
_DIED_ANYWHERE = re.compile(rf"\b{_DIED}\b")
_ESTATE_CONTEXT = re.compile(r"\b(?:his|her|their) (?:estate|debt|debts|account|accounts|bills|card|loan)\b")
_SELF_RELATION = re.compile(
    rf"\b(?:this is|im|i am|its) (?:his|her|their|the) (?P<rel>{_RELATIONS}|executor|executrix)\b"
)
_INVERSE_RELATION = {
    "husband": "wife", "wife": "husband", "spouse": "spouse", "partner": "partner", "fiance": "fiancee",
    "fiancee": "fiance", "boyfriend": "girlfriend", "girlfriend": "boyfriend",
    "mother": "child", "mom": "child", "mommy": "child", "mama": "child", "father": "child", "dad": "child",
    "daddy": "child", "papa": "child", "stepfather": "child", "stepmother": "child",
    "son": "parent", "daughter": "parent", "stepson": "parent", "stepdaughter": "parent",
    "brother": "sibling", "sister": "sibling", "grandmother": "grandchild", "grandma": "grandchild",
    "grandfather": "grandchild", "grandpa": "grandchild", "aunt": "niece_or_nephew",
    "uncle": "niece_or_nephew", "niece": "aunt_or_uncle", "nephew": "aunt_or_uncle", "cousin": "cousin",
}  # fmt: skip
_ESTATE_NAME = re.compile(
    r"\b(?:executor|executrix|administrator|lawyer|attorney|estate|representative)(?: is| named|s name is) "
    r"(?=(?P<name>[a-z]+(?: [a-z]+){0,2}))"
    r"|\b(?:contact|call|talk to|reach|speak to|speak with|talk with) (?:my (?:\w+ )?|our (?:\w+ )?)?"
    r"(?=(?P<name2>[a-z]+(?: [a-z]+){0,2}))"
)

# --- Who answered -------------------------------------------------------------------------------------------

_WRONG_NUMBER = _rx(
    r"\bwrong (?:number|person|phone number|guy|lady)\b",
    r"\b(?:no one|nobody|no body|noone) (?:here |lives here |living here )?(?:by|with|named|called) "
    r"(?:that|this|the) name\b",
    r"\b(?:no one|nobody|noone) (?:named|called|by the name(?: of)?) (?:\w+ ){1,2}(?:lives|is|lived|works) here\b",
    r"\b(?:there is|theres|there aint) no (?:one|body|\w+(?: \w+)?) (?:here )?(?:by|with|named) (?:that|this) name\b",
    r"\bthere(?:s| is) no (?:\w+ ){1,2}(?:here|at this number)\b(?! right now)(?! today)",
    r"\bi (?:just )?(?:got|have had|had|have) this number (?:for )?(?:\w+ )?(?:recently|new|last|a few|a couple|"
    r"only|since|for)?\b(?=.*\b(?:got|new|recently|since|weeks|months|just)\b)",
    r"\bi just got this (?:number|phone)\b",
    r"\bthis (?:is|s) (?:a )?new number\b",
    r"\b(?:this|that) (?:is|s|isnt|aint) not (?:his|her|their|\w+s) (?:number|phone)\b",
    r"\b(?:this|that) isnt (?:his|her|their|\w+s) (?:number|phone)\b",
    r"\bi (?:dont|do not) know (?:any(?:one|body)|a|an|no one|nobody) (?:by that name|named|called|with that "
    r"name)\b",
    r"\bi (?:dont|do not) know (?:who (?:that|this) is|who youre talking about|who you are talking about|"
    r"who youre looking for|that person|this person)\b",
    r"\bnever heard of (?:him|her|them|that person|this person)\b",
    r"\byou (?:have|got|dialed|called) the wrong\b",
)
# "i thought this was a wrong number yeah this is avery": the words, not the fact.
_WRONG_NUMBER_HEDGE = re.compile(
    r"\b(?:i )?thought (?:this|it|you) (?:was|were|is) (?:a |the )?(?:wrong number|spam|scam|telemarketer|robocall)\b"
)
# An employer saying the customer may not take calls at work (FDCPA 805(a)(3), Regulation F 1006.6(b)(3)).
_WORKPLACE_WORDS = (
    r"(?:work|at my job|on the job|office|shift|front desk|reception|company|business|store|clinic|dental|"
    r"hospital)"
)
_NOT_ALLOWED = (
    r"(?:cant|can not|cannot|not allowed to|isnt allowed to|is not allowed to|arent allowed to|are not allowed to|"
    r"not permitted to|is not permitted to|are not permitted to|may not|dont|do not|doesnt|does not)"
)
_WORKPLACE_PROHIBITS = _rx(
    # "she can't take personal calls": personal calls are what a workplace forbids
    rf"\b(?:she|he|they|shes|hes|theyre|employees|staff|workers) {_NOT_ALLOWED} (?:take|get|receive|accept|"
    r"answer|have|make) (?:any )?(?:personal|private) (?:calls|phone calls)\b",
    # "he can't take calls here at the shop": any calls, with the workplace said
    rf"\b(?:she|he|they|shes|hes|theyre|employees|staff|workers) {_NOT_ALLOWED} (?:take|get|receive|accept|"
    rf"answer|have|make) (?:any )?(?:calls|phone calls)\b(?=.*\b{_WORKPLACE_WORDS}\b)",
    r"\b(?:we|the company|our company|the office|my boss|management) (?:dont|do not|doesnt|does not) "
    r"(?:allow|permit) (?:any )?(?:personal |private )?(?:calls|phone calls)\b",
    r"\bno (?:personal |private )?(?:calls|phone calls) (?:are )?(?:allowed|permitted)\b",
    r"\b(?:personal|private) (?:calls|phone calls) (?:are not|arent|not) (?:allowed|permitted)\b",
    rf"\b(?:you|they) (?:cant|can not|cannot|shouldnt|should not) call (?:her|him|them) (?:here|at work|at this "
    rf"number)\b(?=.*\b{_WORKPLACE_WORDS}\b)",
)
_THIRD_PARTY = _rx(
    r"\b(?:hes|shes|he is|she is|they are|theyre) not (?:home|here|in|around|available)\b",
    r"\b(?:he|she|they) (?:isnt|aint|arent) (?:home|here|in|around|available)\b",
    r"\b(?:hes|shes|he is|she is|theyre|they are) (?:at work|out|away|sleeping|asleep|busy|in the shower|"
    r"at school|not in|out of town|working|on vacation|in the hospital)\b",
    rf"\b(?:this is|im|i am|its) (?:his|her|their) (?:{_RELATIONS})\b",
    r"\b(?:can|may|could|should) i take a message\b",
    r"\b(?:he|she) (?:cant|can not|cannot) come to the phone\b",
    r"\b(?:he|she|they) (?:dont|doesnt|does not|do not) live here (?:anymore|any more|no more)\b",
    r"\b(?:he|she) (?:moved out|moved away)\b",
    r"\b(?:im|i am|this is) not (?:him|her|them)\b",
    r"\bwho(?:s| is) (?:this|calling)\b.*\b(?:for him|for her)\b",
)

# --- Times ---------------------------------------------------------------------------------------------------

_HOUR_WORD = (
    r"(?:\d{1,2}(?::\d{2})?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|noon|midnight|"
    r"lunch|lunchtime)"
)
_MINUTE_WORD = r"(?: (?:thirty|fifteen|forty five|oh five|\d{2}))?"
_MERIDIEM = (
    r"(?: ?(?:am|a m|pm|p m|oclock|o clock|in the morning|in the evening|at night|tonight|in the afternoon))?"
)


def _clock_rx(group: str) -> str:
    return f"(?P<{group}>{_HOUR_WORD}{_MINUTE_WORD}{_MERIDIEM})"


_AFTER = re.compile(r"\bcall (?:me )?(?:any ?time |only |again )?after " + _clock_rx("t"))
_NOT_BEFORE = re.compile(
    r"\b(?:dont|do not|never|not|no calls?|stop calling(?: me)?) (?:ever )?(?:call (?:me )?|calling (?:me )?)?"
    r"(?:here )?before " + _clock_rx("t")
)
_NOT_AFTER = re.compile(
    r"\b(?:dont|do not|never|not|no calls?) (?:ever )?(?:call (?:me )?|calling (?:me )?)?(?:here )?after "
    + _clock_rx("t")
)
_NOT_BETWEEN = re.compile(
    r"\b(?:dont|do not|never|not|no calls?) (?:ever )?(?:call (?:me )?|calling (?:me )?)?(?:here )?between "
    + _clock_rx("a")
    + r" (?:and|to|till|until) "
    + _clock_rx("b")
)
_PART_OF_DAY = re.compile(
    r"\b(?:dont|do not|never|not|no calls?|stop calling(?: me)?) (?:ever )?(?:call (?:me )?|calling (?:me )?)?"
    r"(?:\w+ )?(?:in the|during the|at|in|during) (?P<part>mornings?|afternoons?|evenings?|night|nights|"
    r"daytime|day|work hours|working hours|business hours|work|my job|my work|my office|dinner(?: ?time)?|"
    r"supper(?: ?time)?)\b"
    r"|\b(?:stop|quit|dont|do not|never) (?:calling|call) (?P<place>my job|my work|my office|my workplace)\b"
)
_PARTS = {
    "morning": ("00:00", "12:00"),
    "mornings": ("00:00", "12:00"),
    "afternoon": ("12:00", "17:00"),
    "afternoons": ("12:00", "17:00"),
    "evening": ("17:00", "00:00"),
    "evenings": ("17:00", "00:00"),
    "night": ("20:00", "00:00"),
    "nights": ("20:00", "00:00"),
    "daytime": ("08:00", "17:00"),
    "day": ("08:00", "17:00"),
    "work hours": ("08:00", "17:00"),
    "working hours": ("08:00", "17:00"),
    "business hours": ("08:00", "17:00"),
    "work": ("08:00", "17:00"),  # FDCPA 805(a)(3) is about the workplace; we honor it as working hours
    "my job": ("08:00", "17:00"),
    "my work": ("08:00", "17:00"),
    "my office": ("08:00", "17:00"),
    "dinner": ("17:00", "19:00"),
    "dinner time": ("17:00", "19:00"),
    "dinnertime": ("17:00", "19:00"),
    "supper": ("17:00", "19:00"),
    "supper time": ("17:00", "19:00"),
    "suppertime": ("17:00", "19:00"),
}
_DAY_NAMES = {
    "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6,
}  # fmt: skip
_DAYS = r"(?:mondays?|tuesdays?|wednesdays?|thursdays?|fridays?|saturdays?|sundays?|weekends?|weekdays?)"
_NOT_ON_DAYS = re.compile(
    rf"\b(?:dont|do not|never|not|no calls?|stop calling(?: me)?) (?:ever )?(?:call (?:me )?|calling (?:me )?)?"
    rf"(?:on |during )?(?:the )?(?P<days>{_DAYS}(?: (?:or|and|nor|or on|and on) (?:the )?{_DAYS})*)\b"
)
_ON_DAYS = re.compile(rf"\b(?:on|during) (?:the )?(?P<days>{_DAYS}(?: (?:or|and) (?:the )?{_DAYS})*)\b")
_NOW = _rx(
    r"\b(?:im|i am) (?:at work|working|driving|in the car|in a meeting|at the doctor|at the hospital|in class|"
    r"at church|at school|on the other line|on another call|in the middle of \w+|cooking|eating|"
    r"busy|in the shower|about to go|on my way|on the road|at my job|at the store)\b",
    r"\b(?:this|now|right now|today)(?: is|s)? (?:not|isnt|is not) (?:a )?good (?:time)?\b",
    r"\b(?:bad|terrible|not a good|inconvenient) time\b",
    r"\bi (?:cant|can not|cannot|dont have time to) talk (?:right )?(?:now|at the moment|today)\b",
    r"\bi (?:cant|can not|cannot) talk\b(?! about| then| at those| during)",
    # Not a bare "not right now": to an offer it is a no, not a bad time to talk.
    r"\b(?:call|talk|do this) (?:me )?(?:another time|some other time|later)\b",
    r"\bim at work\b",
    r"\b(?:dont|do not) (?:call|bother) (?:me )?(?:tonight|today|right now|this (?:morning|afternoon|evening))\b",
)
_CALLBACK = _rx(
    r"(?<!dont )(?<!not )(?<!never )\bcall (?:me |us )?back\b",
    r"(?<!dont )(?<!not )(?<!never )\b(?:call|try|ring) (?:me|us) (?:again )?(?:later|tomorrow|next|on|in|this|tonight|another|some other|"
    r"at|around|after|monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b",
    r"\b(?:can|could|would) you (?:please )?(?:call|try) (?:me )?(?:again )?(?:later|tomorrow|next|on|in|"
    r"this|tonight|another|some other|monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b",
    r"\b(?:call|try) (?:again )?(?:later|tomorrow|next week|next month|another time|some other time)\b",
    r"\bget back to (?:me|you) (?:later|tomorrow|next)\b",
)
_LATER_TODAY = re.compile(r"\b(?:tonight|this (?:afternoon|evening)|later (?:today|on today))\b")
_TIME_OF_DAY = re.compile(r"\b(morning|afternoon|evening|tonight|night|lunch ?time|noon)\b")
_AT_CLOCK = re.compile(r"\b(?:at|around|after|about) " + _clock_rx("t"))

# --- Recording, AI, a person, hardship ------------------------------------------------------------------------

_RECORDING = _rx(
    r"\b(?:dont|do not|never) (?:consent|agree|give (?:my )?(?:consent|permission)) to (?:\w+ ){0,3}"
    r"(?:record|recorded|recording)\b",
    r"\b(?:stop|turn off|shut off|pause|end|kill) (?:the |this |that |your )?(?:recording|recorder|tape)\b",
    r"\b(?:dont|do not) (?:record|tape) (?:me|this|the call|this call|our)\b",
    r"\bi (?:dont|do not) want (?:this|the call|this call|it|me|to be|our conversation|this conversation|"
    r"to get) (?:\w+ )?(?:recorded|taped)\b",
    r"\bi (?:object|am objecting) to (?:\w+ ){0,2}(?:recording|being recorded|record)\b",
    r"\b(?:no|without) (?:recording|being recorded)\b",
    r"\bi (?:do not|dont) give (?:you )?(?:my )?(?:consent|permission) to record\b",
    r"\byou (?:dont|do not) have my (?:consent|permission) to record\b",
    r"\byou (?:cant|can not|cannot|are not allowed to|arent allowed to) record (?:me|this|the call|this call)\b",
    r"\b(?:im|i am|i m) not (?:okay|ok|alright|all right|comfortable|cool|fine|happy) (?:with )?(?:being recorded|"
    r"(?:this|the call|it|that|me) being recorded|(?:the |this |that )?recording)\b",
    r"\bturn (?:that|it|this|the recording|the recorder) off\b(?=.*\brecord)|\brecord\w*\b.*\bturn (?:that|it|this) off\b",
)
_MACHINE = r"(?:robot|bot|machine|computer|recording|ai|a i|artificial intelligence|automated|automatic|real person|real human|real|human|person|live person|actual person|chat ?bot|program)"
_AI_QUESTION = _rx(
    rf"\b(?:am i|are we) (?:talking|speaking|chatting) (?:to|with) (?:a |an |some )?(?:kind of )?{_MACHINE}\b",
    rf"\bis this (?:even |really |actually )?(?:a |an |some )?(?:kind of )?{_MACHINE}\b",
    rf"\b(?:are you|you) (?:even |really |actually )?(?:a |an |some )?(?:kind of )?(?:sort of )?"
    rf"(?!recording(?: (?:this|me|the|that|us|our|it)\b|$)){_MACHINE}\b(?! to)",
    r"\bis (?:this|that) (?:even |really |actually )?(?:a )?(?:real|actual|live) (?:person|human|voice)\b",
    r"\bis anyone (?:really )?there\b",
    r"\byou sound like (?:a |an )?(?:robot|machine|computer|recording|bot|ai)\b",
    r"\bam i talking to a person\b",
    r"\bare you (?:even )?(?:real|alive|human)\b",
)
_PERSON = r"(?:person|human|human being|representative|rep|agent|operator|supervisor|manager|someone|somebody|live agent|live person|real person|actual person|people)"
_HUMAN = _rx(
    rf"\b(?:talk|speak|chat) (?:to|with) (?:a |an |the |your |some |one of your )?(?:real |live |actual |"
    rf"human )?{_PERSON}\b(?! about)",
    r"\b(?:want|need|get me|give me|gimme|put me through to|transfer me to|connect me (?:to|with)|"
    r"let me have|i d like) (?:a |an |the |your |some |to )?(?:real |live |actual |human )?"
    r"(?:person|human|human being|representative|rep|agent|operator|supervisor|manager|live agent)\b",
    r"\btransfer me\b",
    r"^(?:representative|operator|agent|human|a human|a person|supervisor|manager|real person|live agent)"
    r"(?: (?:representative|operator|agent|please|now))*$",
)
_HUMAN_NOT = re.compile(r"\b(?:my|his|her|our) (?:supervisor|manager|boss|rep|agent)\b")
_HARDSHIP = _rx(
    rf"{_NOT}\b(?:i|my husband|my wife|we) (?:just )?(?:lost|lose) (?:my|his|her|our) (?:job|jobs|work|income|"
    r"house|home)\b",
    r"(?<!not )(?<!wasnt )(?<!never )(?<!didnt get )\b(?:laid off|got fired|been fired|got let go|was let go|"
    r"been let go|furloughed)\b",
    r"(?<!not )\b(?:unemployed|out of work|between jobs|no job|no income|without a job|jobless)\b",
    r"\bmedical (?:bills|condition|issues|problems|emergency|leave|expenses|debt)\b",
    r"\b(?:in the|out of the|was in the|been in the) hospital\b",
    r"\b(?:surgery|cancer|chemo|chemotherapy|dialysis|stroke|heart attack|diagnosed)\b",
    r"(?<!not )\bdisab(?:led|ility|ilities)\b",
    r"\b(?:fixed income|social security|on ssi|on ssdi|on disability|on unemployment|pension|"
    r"food stamps|welfare|retired on)\b",
    r"(?<!can )\b(?:cant|can not|cannot|couldnt|could not) afford\b",
    r"(?<!not )\b(?:money is|moneys|things are|its been|been) (?:really |super |very )?(?:tight|hard|rough)\b",
    r"(?<!not )(?<!never )\b(?:struggling|hard times|hardship|going through a lot|rough patch|rough time)\b",
    r"\b(?:divorce|divorced|separated|widowed)\b",
    r"\b(?:hours|pay|paycheck) (?:got |were |was )?(?:cut|reduced)\b",
    r"\bbehind on (?:rent|my rent|bills|my bills|everything|the mortgage|my mortgage)\b",
    r"\b(?:passed away|died)\b(?=.*\b(?:moneys?|tight|afford|struggl|income|bills|hard|behind|expenses)\b)",
    r"\b(?:moneys?|tight|afford|struggl\w*|income|hard|behind|expenses)\b.*\b(?:passed away|died)\b",
    r"\bi (?:have|got) no money\b",
    r"\b(?:been|am|im|is|was|got|getting|s) (?:really |very |so |pretty )?(?:sick|ill)\b(?! of| and tired)",
    r"\b(?:im|i am|ive been|i have been|i been) not (?:working|employed)\b",
    r"\b(?:i|we) (?:dont|do not) have (?:a job|any income|work)\b",
    r"\bim broke\b",
)


# --- Details -------------------------------------------------------------------------------------------------


def _title(name: str) -> str | None:
    words: list[str] = []
    for word in name.split():
        if word in _NAME_STOP or word.isdigit() or words_to_number([word]) is not None:
            break
        words.append(word)
    if not words or len(words) > 3:
        return None
    return " ".join(word.capitalize() for word in words)


_HUNDRED = re.compile(r"\b(one|two|three|four|five|six|seven|eight|nine) hundred\b")
_PHONE_CUE = re.compile(
    r"\b(?:number|phone|cell|reach (?:him|her|them|me|us)? ?at|call (?:him|her|them|me|us)? ?at|at)\b(?: is)?"
)


def _phone(text: str) -> str | None:
    """The phone number said after a cue ("his number is five five five ..."): 10 digits become E.164."""
    text = _HUNDRED.sub(lambda m: f"{m.group(1)} zero zero", text)  # "eight hundred" in a number: 800
    for cue in _PHONE_CUE.finditer(text):
        digits = ""
        for group in digit_groups(text[cue.end() :]):
            digits += group
            if len(digits) >= 10:
                break
        if len(digits) == 10 and digits[0] not in "01":
            return "+1" + digits
        if len(digits) == 11 and digits.startswith("1"):
            return "+" + digits
        if len(digits) == 7:
            return digits
    return None


def _case_number(text: str) -> str | None:
    match = _CASE_NUMBER.search(text)
    if not match:
        return None
    kept: list[str] = []
    for word in match.group("rest").split():
        if word in {"dash", "hyphen", "-"}:
            kept.append("-")
        elif re.fullmatch(r"[\d-]+", word) or words_to_number([word]) is not None or word in {"oh", "double"}:
            kept.append(word)
        else:
            break
    segments = " ".join(kept).replace("-", " - ").split(" - ")
    digits = ["".join(digit_groups(segment)) for segment in segments]
    value = "-".join(segment for segment in digits if segment)
    return value if any(ch.isdigit() for ch in value) else None


_MINUTES = {"thirty": 30, "fifteen": 15, "forty five": 45, "oh five": 5}


def _hour_minute(head: str, rest: str) -> tuple[int, int] | None:
    if ":" in head:
        hour_text, minute_text = head.split(":", 1)
        return int(hour_text), int(minute_text)
    hour = int(head) if head.isdigit() else words_to_number([head])
    if hour is None:
        return None
    said = re.match(r"(thirty|fifteen|forty five|oh five|\d{2})\b", rest)
    if said is None:
        return hour, 0
    minute = said.group(1)
    return hour, int(minute) if minute.isdigit() else _MINUTES[minute]


def _clock(said: str) -> str | None:
    """A clock time as said: "noon" → 12:00, "ten am" → 10:00, "six thirty" → 18:30. Without am/pm an hour
    reads as people speak of the calling day: 8-11 morning, 12 noon, 1-7 afternoon or evening ("call after
    six" → 18:00)."""
    words = said.split()
    if not words:
        return None
    if words[0] in {"noon", "lunch", "lunchtime", "midnight"}:
        return "00:00" if words[0] == "midnight" else "12:00"
    rest = " ".join(words[1:])
    read = _hour_minute(words[0], rest)
    if read is None or read[0] > 23 or read[1] > 59:
        return None
    hour, minute = read
    pm = re.search(r"\b(?:pm|p m|in the evening|at night|tonight|in the afternoon)\b", rest)
    am = re.search(r"\b(?:am|a m|in the morning)\b", rest)
    if pm and hour < 12:
        hour += 12
    elif am and hour == 12:
        hour = 0
    elif not am and not pm and 1 <= hour <= 7:
        hour += 12
    return f"{hour:02d}:{minute:02d}"


def _weekdays(said: str) -> list[int]:
    days: set[int] = set()
    for word in said.split():
        stem = word.rstrip("s") if word not in {"weekdays", "weekends"} else word
        if stem.startswith("weekend"):
            days |= {5, 6}
        elif stem.startswith("weekday"):
            days |= {0, 1, 2, 3, 4}
        elif stem in _DAY_NAMES:
            days.add(_DAY_NAMES[stem])
    return sorted(days)


def _not_after(text: str, days: list[int]) -> dict[str, Any] | None:
    """ "never call after eight pm": from then to midnight."""
    match = _NOT_AFTER.search(text)
    start = _clock(match.group("t")) if match else None
    return None if start in {None, "00:00"} else {"weekdays": days, "start": start, "end": "00:00"}


def _call_after(text: str, days: list[int]) -> dict[str, Any] | None:
    """ "call after six": the calling day until then (08:00, the earliest lawful call, to 18:00)."""
    match = _AFTER.search(text)
    end = _clock(match.group("t")) if match else None
    return None if end is None or end <= "08:00" else {"weekdays": days, "start": "08:00", "end": end}


def _not_before(text: str, days: list[int]) -> dict[str, Any] | None:
    """ "don't call me before noon": midnight until then."""
    match = _NOT_BEFORE.search(text)
    end = _clock(match.group("t")) if match else None
    return None if end in {None, "00:00"} else {"weekdays": days, "start": "00:00", "end": end}


def _not_between(text: str, days: list[int]) -> dict[str, Any] | None:
    match = _NOT_BETWEEN.search(text)
    if match is None:
        return None
    start, end = _clock(match.group("a")), _clock(match.group("b"))
    if start is None or end is None or start == end:
        return None
    later = f"{int(end[:2]) + 12:02d}{end[2:]}"
    if start > end and int(end[:2]) < 12 and later > start:
        end = later  # "between six and nine": 18:00-21:00, not over midnight
    return {"weekdays": days, "start": start, "end": end}


def _not_part_of_day(text: str, days: list[int]) -> dict[str, Any] | None:
    match = _PART_OF_DAY.search(text)
    if match is None:
        return None
    start, end = _PARTS[match.group("part") or "work"]  # a workplace (FDCPA 805(a)(3)): its hours
    return {"weekdays": days, "start": start, "end": end}


def _not_on_days(text: str, days: list[int]) -> dict[str, Any] | None:
    del days  # the days named are the period itself
    match = _NOT_ON_DAYS.search(text)
    named = _weekdays(match.group("days")) if match else []
    return {"all_day": True, "weekdays": named} if named else None


_PERIOD_READERS = (_not_after, _call_after, _not_before, _not_between, _not_part_of_day, _not_on_days)


def _period(text: str) -> dict[str, Any] | None:
    """A standing inconvenient period in the engine's format (`parse_stated_time`); hours said "on
    weekdays" or "on sundays" hold on those days only."""
    on_days = _ON_DAYS.search(text)
    days = (_weekdays(on_days.group("days")) if on_days else []) or list(range(7))
    for reader in _PERIOD_READERS:
        period = reader(text, days)
        if period is not None:
            return period
    return None


def _covers_today(period: Mapping[str, Any], today: date) -> bool:
    return period.get("all_day") is True and today.weekday() in period.get("weekdays", [])


def _callback_details(text: str, today: date) -> dict[str, Any]:
    details: dict[str, Any] = {}
    match = _CALLBACK.search(text)
    tail = text[match.start() :] if match else text
    when = parse_date(re.sub(r"\b(?:right )?now\b", " ", tail), today)
    if when is None and _LATER_TODAY.search(tail):
        when = today  # "call back later tonight", "this afternoon"
    if when is not None:
        details["date"] = when.isoformat()
    clock = _AT_CLOCK.search(tail)
    if clock is not None:
        said = _clock(clock.group("t"))
        if said is not None:
            details["time_of_day"] = said
    if "time_of_day" not in details:
        part = _TIME_OF_DAY.search(tail)
        if part is not None:
            word = part.group(1)
            details["time_of_day"] = {"tonight": "evening", "night": "evening", "noon": "12:00"}.get(
                word, "12:00" if word.startswith("lunch") else word
            )
    return details


def _deceased_details(text: str) -> dict[str, Any]:
    details: dict[str, Any] = {}
    own = _SELF_RELATION.search(text)
    if own is not None:
        details["relation"] = own.group("rel")
    else:
        theirs = re.search(rf"\bmy (?P<rel>{_RELATIONS}) (?:\w+ ){{0,2}}{_DIED}", text)
        if theirs is not None and theirs.group("rel") in _INVERSE_RELATION:
            details["relation"] = _INVERSE_RELATION[theirs.group("rel")]
    for match in _ESTATE_NAME.finditer(text):
        name = _title(match.group("name") or match.group("name2") or "")
        if name is not None:
            details["estate_contact_name"] = name
            break
    phone = _phone(text)
    if phone is not None:
        details["estate_contact_phone"] = phone
    return details


# --- Recognition ---------------------------------------------------------------------------------------------


_Found = dict[LegalEventKind, dict[str, Any]]


def _dont_call_me(said: str) -> bool:
    """ "don't call me" with no time after it ("don't call me before noon" is an inconvenient time)."""
    return any(not _TIME_QUALIFIER.match(m.group("rest")) for m in _DONT_CALL_ME.finditer(said))


def _cease_events(said: str, found: _Found) -> None:
    """Cease, cease of this number, cease of the phone channel."""
    if _CEASE_CHANNEL.search(said):
        found[LegalEventKind.CEASE_CHANNEL] = {"channel": "phone"}
        return
    rest = said
    if _CEASE_NUMBER.search(said):
        found[LegalEventKind.CEASE_NUMBER] = {}
        # "stop calling this number" is about the number; "stop calling me" said as well is a full cease.
        rest = _CEASE_NUMBER.sub(" ", said)
    if _CEASE.search(rest) or _dont_call_me(rest):
        found[LegalEventKind.CEASE] = {}


def _debt_events(said: str, found: _Found) -> None:
    """Disputes (with a reason code) and validation requests."""
    for reason, pattern in _DISPUTE_REASONS:
        if pattern.search(said):
            found[LegalEventKind.DISPUTE] = {"reason": reason}
            break
    if _VALIDATION.search(said) and LegalEventKind.CEASE_CHANNEL not in found:
        found[LegalEventKind.VALIDATION_REQUEST] = {}


def _attorney_details(said: str) -> dict[str, Any]:
    details: dict[str, Any] = {}
    for match in _ATTORNEY_NAME.finditer(said):
        name = _title(match.group("name") or match.group("name2") or match.group("name3") or "")
        if name is not None:
            details["attorney_name"] = name
            break
    phone = _phone(said)
    if phone is not None:
        details["attorney_phone"] = phone
    return details


def _bankruptcy_details(said: str) -> dict[str, Any]:
    details: dict[str, Any] = {}
    chapter = _CHAPTER.search(said)
    if chapter is not None:
        word = chapter.group(1)
        details["chapter"] = int(word) if word.isdigit() else words_to_number([word])
    case = _case_number(said)
    if case is not None:
        details["case_number"] = case
    return details


def _status_events(said: str, found: _Found) -> None:
    """Attorney, bankruptcy, death; who answered (wrong number, someone else)."""
    if _ATTORNEY.search(said):
        found[LegalEventKind.ATTORNEY] = _attorney_details(said)
    if _BANKRUPTCY.search(said) and not _BANKRUPTCY_HEDGE.search(said):
        found[LegalEventKind.BANKRUPTCY] = _bankruptcy_details(said)
    # A name the recognizer cannot know ("avery passed away") counts with the speaker saying who they are
    # to the customer ("i'm his daughter"); then money talk is the family's, not the customer's own loss.
    relative = bool(_DIED_ANYWHERE.search(said) and _SELF_RELATION.search(said))
    died = (relative or _DECEASED.search(said)) and not _NOT_A_PERSON.search(said)
    if died and (relative or not _MONEY_TROUBLE.search(said) or _ESTATE_CONTEXT.search(said)):
        found[LegalEventKind.DECEASED] = _deceased_details(said)
    if _WRONG_NUMBER.search(_WRONG_NUMBER_HEDGE.sub(" ", said)):
        found[LegalEventKind.WRONG_NUMBER] = {}
    elif _WORKPLACE_PROHIBITS.search(said) and LegalEventKind.DECEASED not in found:
        found[LegalEventKind.THIRD_PARTY] = {"workplace": True}
    elif _THIRD_PARTY.search(said) and LegalEventKind.DECEASED not in found:
        found[LegalEventKind.THIRD_PARTY] = {}


_WANTS_REAL = re.compile(r"\b(?:want|need|get me|give me)\b (?:\w+ )?(?:a )?real")


def _conversation_events(said: str, today: date, found: _Found) -> None:
    """Inconvenient times, recording, a machine or a person, hardship, a callback."""
    period = _period(said)
    now = bool(_NOW.search(said)) or (period is not None and _covers_today(period, today))
    if period is not None or now:
        found[LegalEventKind.INCONVENIENT_TIME] = {"now": now, **({"period": period} if period else {})}
    if _RECORDING.search(said):
        found[LegalEventKind.RECORDING_OBJECTION] = {}
    if _AI_QUESTION.search(said) and not _WANTS_REAL.search(said):
        found[LegalEventKind.AI_QUESTION] = {}
    if _HUMAN.search(said) and not _HUMAN_NOT.search(said):
        found[LegalEventKind.HUMAN_REQUEST] = {}
    if _HARDSHIP.search(said) and LegalEventKind.DECEASED not in found:
        found[LegalEventKind.HARDSHIP] = {}
    if _CALLBACK.search(said) and LegalEventKind.CEASE not in found:
        found[LegalEventKind.CALLBACK_REQUEST] = _callback_details(said, today)


@functools.lru_cache(maxsize=512)
def recognize(text: str, *, today: date) -> tuple[LegalEvent, ...]:
    """Every legal event in one customer utterance, in `LegalEventKind` order, each kind at most once, with
    the details said. `today` is the customer's local date (for "call me back tomorrow")."""
    said = _normalize(text)
    if not said:
        return ()
    found: _Found = {}
    _cease_events(said, found)
    _debt_events(said, found)
    _status_events(said, found)
    _conversation_events(said, today, found)
    return tuple(LegalEvent(kind, found[kind]) for kind in LegalEventKind if kind in found)


# --- The obligation table -----------------------------------------------------------------------------------


class Continuation(StrEnum):
    CONTINUE = "continue"
    TRANSFER = "transfer"
    END = "end"


class Topic(StrEnum):
    COLLECTION = "collection"  # amounts, balance, offers, payment requests, "you owe"
    ACCOUNT = "account"  # any account detail


@dataclass(frozen=True)
class Obligation:
    kind: LegalEventKind
    say: str  # str.format template over {business_name}, {agent_name}, {callback_phrase}
    instruction: str  # the same obligation as an instruction for a language model
    records: str  # what code records
    forbidden_after: frozenset[Topic]
    continuation: Continuation
    ask_once: tuple[str, ...] = ()  # details to ask for once when missing
    ask: str = ""  # the one question asked when details are missing


_ALL_TOPICS = frozenset(Topic)
_NONE: frozenset[Topic] = frozenset()
_K = LegalEventKind

_ROWS = (
    Obligation(
        _K.CEASE,
        say="I understand. I've recorded your request, and we will stop calling you.{callback_phrase} Goodbye.",
        instruction=(
            "The customer asked us to stop contacting them (FDCPA 805(c)). You must confirm that the request is "
            "recorded and that the calls will stop, then end the call. Never try to change their mind, never "
            "mention amounts, offers or the account, and never ask for a payment."
        ),
        records="contact preference cease_contact (channel all) for the customer",
        forbidden_after=_ALL_TOPICS,
        continuation=Continuation.END,
    ),
    Obligation(
        _K.CEASE_NUMBER,
        say="Understood. We won't call this number again.{callback_phrase} Goodbye.",
        instruction=(
            "The person asked us not to call this number. You must confirm this number will not be called "
            "again and end the call. Never say why we called, never mention any account, amount or debt."
        ),
        records="contact preference do_not_call_number (reason cease_number) for the dialed number",
        forbidden_after=_ALL_TOPICS,
        continuation=Continuation.END,
    ),
    Obligation(
        _K.CEASE_CHANNEL,
        say="Understood. We will stop calling you and will contact you in writing instead.{callback_phrase} "
        "Goodbye.",
        instruction=(
            "The customer does not want phone calls and accepts other channels. You must confirm the calls "
            "stop and that we will write instead, then end the call. Never continue the conversation about "
            "the account or ask for a payment on this call."
        ),
        records="contact preference cease_contact (channel phone) for the customer",
        forbidden_after=_ALL_TOPICS,
        continuation=Continuation.END,
    ),
    Obligation(
        _K.DISPUTE,
        say="I understand you dispute this. I've recorded your dispute; we will stop collection on this account "
        "and send you written information about it.{callback_phrase} Goodbye.",
        instruction=(
            "The customer disputes the debt (FDCPA 809(b), Regulation F 1006.34). You must confirm the dispute "
            "is recorded, that collection stops until written information is sent, and end the call. Never "
            "argue that they owe it, never ask for a payment and never make an offer."
        ),
        records="contact preference dispute on the account (reason)",
        forbidden_after=frozenset({Topic.COLLECTION}),
        continuation=Continuation.END,
    ),
    Obligation(
        _K.VALIDATION_REQUEST,
        say="Of course. I've recorded your request; we will stop collection on this account and mail you "
        "written validation information.{callback_phrase} Goodbye.",
        instruction=(
            "The customer asked for validation of the debt in writing (FDCPA 809, Regulation F 1006.34). You "
            "must confirm the request is recorded, that collection stops and written information follows, and "
            "end the call. Never ask for a payment and never make an offer."
        ),
        records="contact preference validation_request on the account",
        forbidden_after=frozenset({Topic.COLLECTION}),
        continuation=Continuation.END,
    ),
    Obligation(
        _K.ATTORNEY,
        say="Thank you for letting me know. We will contact your attorney from now on and won't call you "
        "about this again. Goodbye.",
        instruction=(
            "The customer is represented by an attorney (FDCPA 805(a)(2)). You must ask once for the "
            "attorney's name and phone number when you do not have them, then confirm we will contact the attorney and "
            "end the call. Never discuss the account, amounts or offers with the customer."
        ),
        records="contact preference attorney (attorney_name, attorney_phone when said)",
        forbidden_after=_ALL_TOPICS,
        continuation=Continuation.END,
        ask_once=("attorney_name", "attorney_phone"),
        ask="Could you give me your attorney's name and phone number?",
    ),
    Obligation(
        _K.BANKRUPTCY,
        say="Thank you for letting me know. I've noted it, and we won't call you about this again."
        "{callback_phrase} Goodbye.",
        instruction=(
            "The customer says they filed for bankruptcy (the automatic stay, 11 U.S.C. 362). You must confirm "
            "it is noted and end the call. Never ask for a payment, never make an offer, never discuss amounts."
        ),
        records="contact preference bankruptcy (chapter, case_number) and the customer's legal hold",
        forbidden_after=_ALL_TOPICS,
        continuation=Continuation.END,
    ),
    Obligation(
        _K.DECEASED,
        say="I'm very sorry for your loss. We won't call this number about this again. The person handling the "
        "estate can contact {business_name}.{callback_phrase} Goodbye.",
        instruction=(
            "The person says the customer has died. You must offer condolences, ask once who handles the "
            "estate and how to reach them, say who to contact, and end the call. Never discuss any account, "
            "amount or debt with the relative, and never ask them for a payment."
        ),
        records="contact preference deceased (relation, estate contact) and the customer's legal hold",
        forbidden_after=_ALL_TOPICS,
        continuation=Continuation.END,
        ask_once=("estate_contact_name", "estate_contact_phone"),
        ask="If someone is handling the estate, could you give me their name and phone number?",
    ),
    Obligation(
        _K.WRONG_NUMBER,
        say="I'm sorry for the trouble. We'll remove this number and won't call it again. Goodbye.",
        instruction=(
            "The person says this number does not belong to the customer. You must apologize, say the number will "
            "not be called again, and end the call. Never say who you were calling for or why."
        ),
        records="contact preference do_not_call_number (reason wrong_number) for the dialed number",
        forbidden_after=_ALL_TOPICS,
        continuation=Continuation.END,
    ),
    Obligation(
        _K.THIRD_PARTY,
        say="This is {agent_name}. I'll call back another time. Thank you, goodbye.",
        instruction=(
            "The person who answered is not the customer (FDCPA 805(b)). You must say only your name and that you "
            "will call back, then end the call. Never say why you are calling, the company's purpose, any "
            "account or amount, and never leave a message about the debt."
        ),
        records="nothing",
        forbidden_after=_ALL_TOPICS,
        continuation=Continuation.END,
    ),
    Obligation(
        _K.INCONVENIENT_TIME,
        say="I understand this isn't a good time. I've noted it, and we'll reach you at a better time."
        "{callback_phrase} Goodbye.",
        instruction=(
            "The customer says now is an inconvenient time (FDCPA 805(a)(1)). You must acknowledge it, note "
            "any time they gave, and end the call. Never continue with the account or ask for a payment now."
        ),
        records="contact preference inconvenient_time with the stated period (when a period is said)",
        forbidden_after=_ALL_TOPICS,
        continuation=Continuation.END,
    ),
    Obligation(
        _K.RECORDING_OBJECTION,
        say="Understood. I've stopped recording this call.",
        instruction=(
            "The customer does not consent to recording (state all-party consent laws). The recording has been "
            "stopped by the system. You must tell them so plainly and then continue. Never claim the call is "
            "still recorded or that recording is required."
        ),
        records="nothing in contact preferences; the call's recording is paused by the telephony adapter",
        forbidden_after=_NONE,
        continuation=Continuation.CONTINUE,
    ),
    Obligation(
        _K.AI_QUESTION,
        say="Yes, I'm an automated assistant calling for {business_name}. I can help you here, or connect "
        "you with a person if you prefer.",
        instruction=(
            "The customer asked whether they are talking to a machine. You must say truthfully that you are an "
            "automated assistant calling for the business, and offer a person. Never claim to be human."
        ),
        records="nothing",
        forbidden_after=_NONE,
        continuation=Continuation.CONTINUE,
    ),
    Obligation(
        _K.HUMAN_REQUEST,
        say="Of course. I'll transfer you to a member of our team now.",
        instruction=(
            "The customer asked for a person. You must say you are transferring them and transfer the call. "
            "Never keep them talking to you or try to resolve the matter first."
        ),
        records="nothing (the call is transferred)",
        forbidden_after=_NONE,
        continuation=Continuation.TRANSFER,
    ),
    Obligation(
        _K.HARDSHIP,
        say="I'm sorry to hear that, and thank you for telling me. Let's see what could work for you.",
        instruction=(
            "The customer describes a hardship. You must acknowledge it with empathy and only then look at "
            "options inside the policy. Never pressure, shame or threaten, and never doubt what they said."
        ),
        records="nothing here (the call's outcome may be hardship)",
        forbidden_after=_NONE,
        continuation=Continuation.CONTINUE,
    ),
    Obligation(
        _K.CALLBACK_REQUEST,
        say="Of course. I've noted when to call you back.",
        instruction=(
            "The customer asked to be called back at another time. You must confirm the time they gave (ask "
            "once if none) and keep to it. Never insist on continuing now."
        ),
        records="nothing here (the host schedules the callback)",
        forbidden_after=_NONE,
        continuation=Continuation.CONTINUE,
    ),
)
OBLIGATIONS: Mapping[LegalEventKind, Obligation] = MappingProxyType({row.kind: row for row in _ROWS})

# A stated period for later while now is fine: noted, and the call goes on.
_INCONVENIENT_LATER = Obligation(
    _K.INCONVENIENT_TIME,
    say="Thank you, I've noted when not to call you.",
    instruction=(
        "The customer named times when calls are inconvenient (FDCPA 805(a)(1)); now is not one of them. You "
        "must acknowledge that it is noted and continue. Never promise a call inside those times."
    ),
    records="contact preference inconvenient_time with the stated period",
    forbidden_after=_NONE,
    continuation=Continuation.CONTINUE,
)
# A cease from someone not verified as the consumer binds only this number (FDCPA 805(c) needs the consumer).
_UNVERIFIED_CEASE = OBLIGATIONS[_K.CEASE_NUMBER]
# Someone at the customer's workplace says calls there are not allowed (FDCPA 805(a)(3)): this number is closed.
_WORKPLACE = Obligation(
    _K.THIRD_PARTY,
    say="Understood. We won't call this number again. Thank you, goodbye.",
    instruction=(
        "The person who answered says the customer may not take calls at this workplace (FDCPA 805(a)(3)). "
        "You must say this number will not be called again and end the call. Never say why you are calling, "
        "never mention any account, amount or debt, and never leave a message."
    ),
    records="contact preference do_not_call_number (reason workplace) for the dialed number",
    forbidden_after=_ALL_TOPICS,
    continuation=Continuation.END,
)
# Events a person other than the consumer may speak: their `say` never carries debt words or money.
THIRD_PARTY_SAFE = frozenset({_K.THIRD_PARTY, _K.WRONG_NUMBER, _K.DECEASED, _K.CEASE_NUMBER, _K.ATTORNEY})


def obligation_for(event: LegalEvent, *, verified: bool) -> Obligation:
    """The row the agent obeys for `event`, given whether the speaker was verified as the customer."""
    if event.kind is _K.CEASE and not verified:
        return _UNVERIFIED_CEASE
    if event.kind is _K.INCONVENIENT_TIME and not event.details.get("now", False):
        return _INCONVENIENT_LATER
    if event.kind is _K.THIRD_PARTY and event.details.get("workplace"):
        return _WORKPLACE
    return OBLIGATIONS[event.kind]
