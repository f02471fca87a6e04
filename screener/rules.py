"""The compiled rule tree: frozen nodes and their canonical printed form.

Every node prints in the criterion language (grammar/rule.lark) and
`parse_rule(render(node)) == node` holds for every tree (see tests). Nodes are
plain data; evaluation lives in `screener.evaluate`.

Conventions of the printed form:
- `a and b`, `a or b`; and/or never mix at one level, nested groups are
  parenthesised; `not x`.
- comparisons: `SUBJECT OP NUMBER UNIT` and `SUBJECT in [LOW, HIGH] UNIT`
  (square bracket = inclusive bound, round = exclusive).
- `over`/`under` are the comparators of text such as "over 2 months": definite
  off the boundary, `review` exactly on it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import TypeAlias


class Op(StrEnum):
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="
    EQ = "="
    OVER = "over"
    UNDER = "under"


class ConditionMode(StrEnum):
    PRESENT = "present"
    PRESENT_OR_SUSPECTED = "or_suspected"
    HISTORY = "history"


def format_number(value: Decimal) -> str:
    """Print a Decimal without exponent and without trailing zeros after the point."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text if text not in ("-0", "") else "0"


def _quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


# ---------------------------------------------------------------- subjects


@dataclass(frozen=True)
class Age:
    """The patient's age, in completed units of the comparison's unit."""

    def render(self) -> str:
        return "age"


@dataclass(frozen=True)
class Lab:
    """The latest value of a laboratory analyte or vital sign (analyte id)."""

    analyte: str

    def render(self) -> str:
        return f"lab({self.analyte})"


@dataclass(frozen=True)
class Rise:
    """Rate of change of an analyte between its two most recent values, per `per`."""

    analyte: str
    per: str = "day"

    def render(self) -> str:
        return f"rise({self.analyte}, {self.per})"


@dataclass(frozen=True)
class Score:
    """A clinical score, derived or given (meld, meld_na, meld3, child_pugh, ...)."""

    name: str

    def render(self) -> str:
        return f"score({self.name})"


@dataclass(frozen=True)
class Fact:
    """A recorded fact about the patient (life_expectancy, he_grade, ecog, ...)."""

    name: str

    def render(self) -> str:
        return f"fact({self.name})"


Subject: TypeAlias = Age | Lab | Rise | Score | Fact


# ---------------------------------------------------------------- leaves


# Later events of a trial a window may count back from ("within 4 weeks prior to
# randomization"); they come on or after the screening date, on a day not yet known.
ANCHORS = ("enrolment", "randomisation", "first_dose")


@dataclass(frozen=True)
class Window:
    """A calendar time window back from the screening date, e.g. 3 months.

    With an `anchor` (one of ANCHORS) the window counts back from that later event
    instead: evaluation counts back from the screening date and decides only what
    holds wherever the event falls.

    The day exactly `amount` units back is in the window ("within 4 weeks"); a `strict`
    window leaves it out ("less than 4 weeks before", printed `< 4 weeks`), which is what
    "at least 4 weeks since X" denies: X 28 days ago is 4 weeks since, not less.
    """

    amount: int
    unit: str  # days | weeks | months | years
    anchor: str = ""
    strict: bool = False

    def render(self) -> str:
        before = f" before {self.anchor}" if self.anchor else ""
        less = "< " if self.strict else ""
        return f"{less}{self.amount} {self.unit}{before}"


def _within(window: Window | None) -> str:
    return f" within {window.render()}" if window else ""


@dataclass(frozen=True)
class Compare:
    subject: Subject
    op: Op
    value: Decimal
    unit: str = ""
    within: Window | None = None  # a window stated in the criterion replaces the horizon

    def render(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        value = format_number(self.value)
        return f"{self.subject.render()} {self.op.value} {value}{unit}{_within(self.within)}"


@dataclass(frozen=True)
class Between:
    subject: Subject
    low: Decimal
    high: Decimal
    unit: str = ""
    low_inclusive: bool = True
    high_inclusive: bool = True
    within: Window | None = None  # a window stated in the criterion replaces the horizon

    def render(self) -> str:
        left = "[" if self.low_inclusive else "("
        right = "]" if self.high_inclusive else ")"
        unit = f" {self.unit}" if self.unit else ""
        low, high = format_number(self.low), format_number(self.high)
        span = f"{left}{low}, {high}{right}{unit}"
        return f"{self.subject.render()} in {span}{_within(self.within)}"


@dataclass(frozen=True)
class OneOf:
    """A categorical value among a set, e.g. Child-Pugh class B or C."""

    subject: Subject
    values: tuple[str, ...]

    def render(self) -> str:
        return f"{self.subject.render()} in {{{', '.join(self.values)}}}"


@dataclass(frozen=True)
class Sex:
    value: str  # "female" | "male"

    def render(self) -> str:
        return f"sex = {self.value}"


@dataclass(frozen=True)
class Condition:
    """A diagnosis from the concept vocabulary (screener/data/concepts.yaml)."""

    concept: str
    mode: ConditionMode = ConditionMode.PRESENT
    within: Window | None = None  # history only: present, or dated within the window

    def render(self) -> str:
        if self.mode is ConditionMode.HISTORY:
            when = f",{_within(self.within)}" if self.within else ""
            return f"history({self.concept}{when})"
        if self.mode is ConditionMode.PRESENT_OR_SUSPECTED:
            return f"condition({self.concept}, or_suspected)"
        return f"condition({self.concept})"


@dataclass(frozen=True)
class Pregnant:
    def render(self) -> str:
        return "pregnant"


@dataclass(frozen=True)
class Lactating:
    def render(self) -> str:
        return "lactating"


@dataclass(frozen=True)
class TrialParticipation:
    """Participation in another trial.

    `types` empty means any intervention type. With `within`, a participation
    counts when ongoing or ended within the window; without, only when ongoing.
    """

    types: tuple[str, ...] = ()
    within: Window | None = None

    def render(self) -> str:
        parts = ["|".join(self.types) if self.types else "any"]
        parts.append(f"within {self.within.render()}" if self.within else "ongoing")
        return f"other_trial({', '.join(parts)})"


@dataclass(frozen=True)
class Medication:
    """Use of a drug class: current, within a window before screening, or ever."""

    drug_class: str
    within: Window | None = None
    ever: bool = False  # "prior chemotherapy": any use before screening (no window then)

    def render(self) -> str:
        when = f",{_within(self.within)}" if self.within else ", ever" if self.ever else ""
        return f"medication({self.drug_class}{when})"


@dataclass(frozen=True)
class Procedure:
    """A procedure or treatment course (screener/data/concepts.yaml `procedures`): current
    (an ongoing course), within a window before screening, or ever before screening."""

    procedure: str
    within: Window | None = None
    ever: bool = False  # "prior radiotherapy": any time before screening (no window then)

    def render(self) -> str:
        when = f",{_within(self.within)}" if self.within else ", ever" if self.ever else ""
        return f"procedure({self.procedure}{when})"


@dataclass(frozen=True)
class TestResult:
    """The latest result of a qualitative test (screener/qualitative.py): positive or negative.

    A result, not a diagnosis: `test(hbsag) = positive` is never met by a recorded hepatitis B.
    """

    test: str
    result: str  # "positive" | "negative"

    def render(self) -> str:
        return f"test({self.test}) = {self.result}"


RESPONSE_CRITERIA = ("any", "recist", "recist_1_1")
"""What a measurable-disease criterion names: no response criteria, RECIST of no stated
version, or RECIST version 1.1 (RECIST 1.0 and other criteria, mRECIST, iRECIST, RANO,
Lugano, PCWG3, stay with a person)."""


@dataclass(frozen=True)
class MeasurableDisease:
    """At least one measurable lesion, as assessed under `criteria` (RESPONSE_CRITERIA).

    Under RECIST 1.1 measurable disease is the presence of at least one measurable lesion
    (Eisenhauer et al., Eur J Cancer 2009;45:228-47, section 3.1), so "measurable disease"
    and "at least one measurable lesion" are one fact of the patient profile.
    """

    criteria: str

    def render(self) -> str:
        return f"measurable_disease({self.criteria})"


@dataclass(frozen=True)
class Review:
    """Text the grammar could not account for: a person must decide it."""

    text: str

    def render(self) -> str:
        return f"review({_quote(self.text)})"


# ---------------------------------------------------------------- compounds


@dataclass(frozen=True)
class AllOf:
    items: tuple[Rule, ...]

    def render(self) -> str:
        return " and ".join(_grouped(item) for item in self.items)


@dataclass(frozen=True)
class AnyOf:
    items: tuple[Rule, ...]

    def render(self) -> str:
        return " or ".join(_grouped(item) for item in self.items)


@dataclass(frozen=True)
class Not:
    item: Rule

    def render(self) -> str:
        return f"not {_grouped(self.item)}"


@dataclass(frozen=True)
class Implies:
    """`if` a condition holds `then` a requirement: met when the condition is not."""

    condition: Rule
    then: Rule

    def render(self) -> str:
        return f"implies({self.condition.render()}; {self.then.render()})"


@dataclass(frozen=True)
class Qualified:
    """A rule under a qualifier the data cannot judge ("severe", "other").

    Absent base means absent qualified ("no diabetes" means "no severe
    diabetes"); a present base leaves the qualifier to a person (`review`).
    """

    qualifier: str
    item: Rule

    def render(self) -> str:
        return f"qualified({_quote(self.qualifier)}; {self.item.render()})"


@dataclass(frozen=True)
class Readings:
    """Every reading of ambiguous text; definite only where all readings agree."""

    items: tuple[Rule, ...]

    def render(self) -> str:
        return "readings(" + "; ".join(item.render() for item in self.items) + ")"


Leaf: TypeAlias = (
    Compare
    | Between
    | OneOf
    | Sex
    | Condition
    | Pregnant
    | Lactating
    | TrialParticipation
    | Medication
    | Procedure
    | TestResult
    | MeasurableDisease
    | Review
)
Rule: TypeAlias = Leaf | AllOf | AnyOf | Not | Implies | Qualified | Readings


def _grouped(rule: Rule) -> str:
    return f"({rule.render()})" if isinstance(rule, AllOf | AnyOf | Not) else rule.render()


def render(rule: Rule) -> str:
    """The canonical printed form of a rule."""
    return rule.render()


def conjunction(items: list[Rule] | tuple[Rule, ...]) -> Rule:
    """Conjunction that collapses a single item (trees never hold 1-item groups)."""
    return items[0] if len(items) == 1 else AllOf(tuple(items))


def disjunction(items: list[Rule] | tuple[Rule, ...]) -> Rule:
    """Disjunction that collapses a single item."""
    return items[0] if len(items) == 1 else AnyOf(tuple(items))


def readings(items: list[Rule] | tuple[Rule, ...]) -> Rule:
    """Every reading, nested readings flattened and repeats dropped; one reading is itself."""
    flat: list[Rule] = []
    for item in items:
        for reading in item.items if isinstance(item, Readings) else (item,):
            if reading not in flat:
                flat.append(reading)
    return flat[0] if len(flat) == 1 else Readings(tuple(flat))


def for_subgroup(who: Rule, rule: Rule, exclusion: bool) -> Rule:
    """`rule` limited to the patients `who` names: an inclusion binds only them
    (`implies(who; rule)`), an exclusion excludes only them (`who and rule`)."""
    return AllOf((who, rule)) if exclusion else Implies(who, rule)


def leaves(rule: Rule) -> list[Leaf]:
    """All leaves of a tree, left to right."""
    if isinstance(rule, AllOf | AnyOf | Readings):
        return [leaf for item in rule.items for leaf in leaves(item)]
    if isinstance(rule, Not | Qualified):
        return leaves(rule.item)
    if isinstance(rule, Implies):
        return leaves(rule.condition) + leaves(rule.then)
    return [rule]


def intern(rule: Rule, table: dict[Rule, Rule]) -> Rule:
    """The same tree with equal nodes shared: equal rules of many trials become one
    object, so a patient's outcome of each can be computed once per screening."""
    rebuilt: Rule
    if isinstance(rule, AllOf | AnyOf | Readings):
        rebuilt = type(rule)(tuple(intern(item, table) for item in rule.items))
    elif isinstance(rule, Not):
        rebuilt = Not(intern(rule.item, table))
    elif isinstance(rule, Qualified):
        rebuilt = Qualified(rule.qualifier, intern(rule.item, table))
    elif isinstance(rule, Implies):
        rebuilt = Implies(intern(rule.condition, table), intern(rule.then, table))
    else:
        rebuilt = rule
    return table.setdefault(rebuilt, rebuilt)


def has_review(rule: Rule) -> bool:
    return any(isinstance(leaf, Review) for leaf in leaves(rule))
