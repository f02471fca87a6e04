"""`TrialLibrary`: load and compile trials once, screen many patients.

from screener import TrialLibrary, load_patient
library = TrialLibrary.load()                 # the bundled trials, or paths
report = library.screen(load_patient("patient.json"))
"""

from __future__ import annotations

import datetime as dt
import gc
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import cache, cached_property
from pathlib import Path

from screener import __version__, cross_checks, filters
from screener import rules as r
from screener.cache import CompileCache
from screener.canonical import RuleSyntaxError, parse_rule
from screener.collect import with_to_collect
from screener.compiler import Compiled, compile_criterion
from screener.coverage import coverage
from screener.errors import InputError
from screener.evaluate import Outcome, evaluate, normalise_thresholds
from screener.facts import PatientFacts, TimeRules
from screener.logic import Status
from screener.patient import AnswerEntry, Patient
from screener.reference_ranges import ReferenceRanges
from screener.resources import grammar_path
from screener.results import (
    Answer,
    CriterionClass,
    CriterionResult,
    Effect,
    Engine,
    Kind,
    OpenCounts,
    Origin,
    Rejected,
    ScreeningReport,
    TrialResult,
    Verdict,
    trusted,
)
from screener.trials import CriterionSpec, TrialSpec, default_library_dir, load_trial_paths


@dataclass(frozen=True)
class CompiledCriterion:
    id: str
    kind: Kind
    text: str
    origin: Origin
    class_: CriterionClass
    rule: r.Rule
    reasons: tuple[str, ...] = ()
    context: str | None = None
    condition: str | None = None

    @cached_property
    def coverage(self) -> str:
        """full, partial-decisive, partial-other or none (see screener.coverage)."""
        return coverage(self.rule).value

    @cached_property
    def patient_independent(self) -> bool:
        """Whether the result is the same for every patient (a whole review item)."""
        return isinstance(self.rule, r.Review) or self.kind is Kind.UNCLASSIFIED

    @cached_property
    def static_result(self) -> CriterionResult:
        """The result of a patient-independent criterion, built once."""
        if self.kind is Kind.UNCLASSIFIED:
            reason = "unclassified item: not counted for either section"
        else:
            assert isinstance(self.rule, r.Review)
            reason = f'needs a person: "{self.rule.text}"'
        return CriterionResult(
            id=self.id,
            kind=self.kind,
            class_=self.class_,
            origin=self.origin,
            text=self.text,
            status=Status.REVIEW,
            effect=Effect.OPEN,
            rule=self.canonical,
            reason=reason,
            context=self.shown_context,
        )

    @cached_property
    def shown_context(self) -> str | None:
        """The heading(s) an item sits under, as shown with its result."""
        return " / ".join(h for h in (self.context, self.condition) if h) or None

    @cached_property
    def canonical(self) -> str | None:
        """The printed rule, or None when the whole criterion is review."""
        return None if isinstance(self.rule, r.Review) else r.render(self.rule)


@dataclass(frozen=True)
class CompiledTrial:
    spec: TrialSpec
    criteria: tuple[CompiledCriterion, ...]
    warnings: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return self.spec.id

    @cached_property
    def template(self) -> tuple[list[CriterionResult | None], list[int]]:
        """Results that are the same for every patient, and the positions left to evaluate."""
        fixed: list[CriterionResult | None] = []
        dynamic: list[int] = []
        for index, criterion in enumerate(self.criteria):
            if criterion.patient_independent:
                fixed.append(criterion.static_result)
            else:
                fixed.append(None)
                dynamic.append(index)
        return fixed, dynamic

    @cached_property
    def fixed_tally(self) -> _Tally:
        """The verdict counts of the patient-independent results."""
        tally = _Tally()
        for result in self.template[0]:
            if result is not None:
                tally.add(result)
        return tally


def _structured(spec: TrialSpec) -> list[CompiledCriterion]:
    """The registry's sex and age fields as rules of their own (origin: structured)."""
    found: list[CompiledCriterion] = []

    def add(id_: str, text: str, rule: r.Rule) -> None:
        found.append(
            CompiledCriterion(
                id_, Kind.INCLUSION, text, Origin.STRUCTURED, CriterionClass.CLINICAL, rule
            )
        )

    if spec.sex != "all":
        add("sex", f"Sex: {spec.sex}", r.Sex(spec.sex))
    if spec.minimum_age is not None:
        limit = spec.minimum_age
        add(
            "minimum-age",
            f"Minimum age: {limit}",
            r.Compare(r.Age(), r.Op.GE, Decimal(limit.value), limit.unit),
        )
    if spec.maximum_age is not None:
        limit = spec.maximum_age
        add(
            "maximum-age",
            f"Maximum age: {limit}",
            r.Compare(r.Age(), r.Op.LE, Decimal(limit.value), limit.unit),
        )
    return found


Compiler = Callable[[str, str], Compiled]

# a heading that ends by announcing exceptions: "..., except:", "except for the following:",
# "with the following exceptions:", "The following are allowed:"
_EXCEPTION_HEADING = re.compile(
    r"\b(?:except\w*|unless|other than|apart from|excluding|with the exception of"
    r"|not exclu\w+|(?:is|are|be) (?:allowed|permitted|acceptable))\b(?:\W+\w+){0,4}\W*$",
    re.IGNORECASE,
)
_EXCEPTION_ITEM = "an item of an exception list: it names whom its heading spares"


def _announces_exceptions(context: str | None) -> bool:
    """Whether a heading above the item ends by announcing exceptions (words in brackets,
    such as "Patients with ALL (except B-ALL) who fulfil:", qualify the heading only)."""
    headings = (context or "").split(" / ")
    return any(_EXCEPTION_HEADING.search(re.sub(r"\([^()]*\)", "", h)) for h in headings)


# Headings (`context`) that change what the items under them mean. Each item is compiled on
# its own text, so under such a heading its rule would say something the criterion does not.
# A heading that negates its items: "No concurrent uncontrolled illness including any of the
# following:", "Patients must not have:", "Subjects who do not meet the criteria above but
# ...". ("The participant may not enter the study if ANY of the following apply:" is an
# exclusion's usual opening, not a negation of its items.)
_NEGATING_HEADING = re.compile(
    r"^\W*(?:no|not|none|neither|never|without)\b"
    r"|\b(?:must|should|shall|may|do|does|did|will|can|could)\s+not\s+(?:have|has|had|be|been"
    r"|meet|receive|take|use|show|present|undergo|suffer|experience|fulfil\w*|satisfy)\b"
    r"|\bcannot\s+(?:have|be|meet|receive|take)\b|\bfree\s+(?:of|from)\b",
    re.IGNORECASE,
)
# An exclusion heading that spares its items: "... may be eligible for participation, based
# on study staff approval:", "... will not be excluded", "... will be eligible if:" (in an
# inclusion, "Subjects who meet all of the following will be eligible" is the usual opening).
_SPARING_HEADING = re.compile(
    r"\bmay\s+(?:still\s+)?(?:be\s+(?:\w+\s+){0,3}eligible|participate|be\s+(?:enrolled"
    r"|included|allowed))\b|\bnot\s+be\s+excluded\b"
    r"|\b(?:will|may|can)\s+(?:also\s+|still\s+)?be\s+(?:\w+\s+){0,3}(?:eligible|included"
    r"|enrolled)\b",
    re.IGNORECASE,
)
# An inclusion heading whose items are alternatives or examples, not each required: "Patients
# must have one of the following:", "at least two of", "Women with systemic autoimmune
# disease, including:", "such as", a heading ending with "or".
_ALTERNATIVES_HEADING = re.compile(
    r"\b(?:one|any|either|some)\s+of\b|\bat\s+least\b|\bor\s+more\b"
    r"|\bany\s+(?:one|two|three|four|\d+)\b|\b(?:two|three|four|\d+)\s+of\s+the\b|\beither\b"
    r"|\bincluding\b|\b(?:this|which|that|these)\s+includes?\b|\bsuch\s+as\b|\be\.\s?g\b"
    r"|\bfor\s+(?:example|instance)\b|\bexamples?\b|\bor\W*$",
    re.IGNORECASE,
)
# An exclusion heading whose items exclude only together: "all of the following", "both",
# "at least two of", "2 or more of", "in combination with", a heading ending with "and".
_JOINT_HEADING = re.compile(
    r"\ball\s+(?:of\s+)?the\s+following\b|\ball\s+of\b|\bboth\b"
    r"|\bat\s+least\s+(?:two|three|four|[2-9])\b|\b(?:two|three|four|[2-9])\s+or\s+more\b"
    r"|\bany\s+(?:two|three|four|[2-9])\b|\b(?:two|three|four|[2-9])\s+of\s+the\b"
    r"|\bcombination\b|\btogether\s+with\b|\band\W*$",
    re.IGNORECASE,
)
# A bare "OR" between two lists of a section: every item of the section is part of one of
# two alternative lists, and which list an item belongs to is a reading of the layout.
_BARE_OR = re.compile(r"^\W*(?:or|and/or)\W*$", re.IGNORECASE)
_ALTERNATIVE_LISTS = "a section of alternative lists ('OR' between them): no item is required"


# A restriction in the negative, in brackets, on how the items' values are got, in either
# section: "Blood routine examination criteria (no blood transfusion within 14 days):" (a
# platelet count raised by a transfusion does not count). "(including but not limited to)"
# and an exclusion's "(... the subject MUST NOT enter the study)" restrict nothing.
_BRACKETED = re.compile(r"\(([^()]*)\)")
_NEGATIVE_WORD = re.compile(r"\b(?:no|not|without|never|free\s+of|absence\s+of)\b", re.I)
_NOT_A_RESTRICTION = re.compile(
    r"\bnot\s+(?:be\s+)?(?:limited|restricted)\s+to\b"
    r"|\b(?:not|cannot)\s+(?:to\s+)?(?:be\s+)?(?:enter\w*|enrol\w*|includ\w*|eligible"
    r"|participat\w*|randomi[sz]\w*)",
    re.IGNORECASE,
)


def _restricts_in_brackets(heading: str) -> bool:
    return any(
        _NEGATIVE_WORD.search(_NOT_A_RESTRICTION.sub(" ", inside))
        for inside in _BRACKETED.findall(heading)
    )


# A time window in a heading ("laboratory results obtained within 14 days prior to the first
# dose:", "recent cardiac events (within 6 months), such as:"): each item is compiled on its
# own text, without it, so its rule would take a value or an event from any time.
_HEADING_WINDOW = re.compile(
    r"\b(?:within|in\s+the\s+(?:past|last|previous|preceding)|during\s+the\s+(?:past|last))"
    r"\s+(?:\d+|one|two|three|four|six|twelve)\b"
    r"|\b\d+\s*(?:hours?|days?|weeks?|months?|years?)\s+(?:prior|before|from|after)\b",
    re.IGNORECASE,
)


_WINDOW_HEADING = "an item under a heading with a time window the item's rule would not keep"


def _timeless(rule: r.Rule) -> bool:
    """Whether a rule reads only the patient's age and sex (no value or event in time)."""
    return not isinstance(rule, r.Review) and all(
        isinstance(leaf, r.Sex)
        or (isinstance(leaf, r.Compare | r.Between) and isinstance(leaf.subject, r.Age))
        for leaf in r.leaves(rule)
    )


def _heading_changes_items(context: str | None, kind: str) -> str | None:
    """Why a heading above an item changes what the item means, or None when none does."""
    for heading in (context or "").split(" / "):
        if _restricts_in_brackets(heading):
            return "an item under a heading that restricts its values in brackets"
        if _HEADING_WINDOW.search(heading):
            return _WINDOW_HEADING
        if _NEGATING_HEADING.search(heading):
            return "an item under a heading that negates it"
        if kind == "exclusion" and _SPARING_HEADING.search(heading):
            return "an item under a heading that spares it"
        if kind == "inclusion" and _ALTERNATIVES_HEADING.search(heading):
            return "an item under a heading that makes its items alternatives or examples"
        if kind == "exclusion" and _JOINT_HEADING.search(heading):
            return "an item under a heading that makes its items exclude only together"
    return None


def _kinds_of_alternative_lists(criteria: Iterable[CriterionSpec]) -> set[str]:
    """The sections (kinds) split by a bare 'OR' heading or item into alternative lists."""
    kinds: set[str] = set()
    for criterion in criteria:
        headings = (criterion.context or "").split(" / ")
        if _BARE_OR.match(criterion.text) or any(_BARE_OR.match(h) for h in headings):
            kinds.add(criterion.kind)
    return kinds


def _heading_review(
    criterion: CriterionSpec, rule: r.Rule, alternative_lists: set[str]
) -> str | None:
    """Why the headings above an item leave it to a person, or None when they do not."""
    if _announces_exceptions(criterion.context):
        # "Other malignancy within 3 years, except:" then "adequately treated skin
        # cancer": the item says whom the heading spares, not a criterion of its own
        return _EXCEPTION_ITEM
    if criterion.kind in alternative_lists:
        return _ALTERNATIVE_LISTS
    changed = _heading_changes_items(criterion.context, criterion.kind)
    if changed == _WINDOW_HEADING and _timeless(rule):
        return None  # age and sex: a few days' window changes nothing
    return changed


def compile_trial(spec: TrialSpec, compiler: Compiler = compile_criterion) -> CompiledTrial:
    """Compile every criterion of a trial (text, rewrite) plus its structured fields."""
    criteria = _structured(spec)
    warnings: list[str] = []
    alternative_lists = _kinds_of_alternative_lists(spec.criteria)
    for criterion in spec.criteria:
        compiled = compiler(criterion.text, criterion.kind)
        rule, origin, reasons = compiled.rule, Origin.TEXT, compiled.reasons
        under_heading = _heading_review(criterion, rule, alternative_lists)
        if under_heading is not None:
            rule, reasons = r.Review(criterion.text), (under_heading,)
        if criterion.rewrite:
            try:
                rule, origin, reasons = parse_rule(criterion.rewrite), Origin.REWRITE, ()
            except RuleSyntaxError as error:
                warnings.append(f"{spec.id} {criterion.id}: rewrite ignored, {error.message}")
        try:
            normalise_thresholds(rule)
        except ValueError as error:  # a rewrite whose unit does not fit its analyte
            warnings.append(f"{spec.id} {criterion.id}: {error}; kept as review")
            rule, origin = r.Review(criterion.text), Origin.TEXT
        if criterion.condition is not None:
            rule = _restricted(criterion, rule, compiler)
        criteria.append(
            CompiledCriterion(
                criterion.id,
                Kind(criterion.kind),
                criterion.text,
                origin,
                compiled.class_,
                rule,
                tuple(dict.fromkeys(reasons)),
                criterion.context,
                criterion.condition,
            )
        )
    for review, reason in (
        (cross_checks.demographic_alternatives(criteria), cross_checks.DEMOGRAPHIC_ALTERNATIVES),
        (cross_checks.in_both_sections(criteria), cross_checks.BOTH_SECTIONS),
    ):
        criteria = [
            replace(c, rule=r.Review(c.text), reasons=(reason,)) if c.id in review else c
            for c in criteria
        ]
    criteria = cross_checks.beside_the_cancer_under_study(spec.title, spec.conditions, criteria)
    return CompiledTrial(spec, tuple(criteria), tuple(warnings))


def _restricted(criterion: CriterionSpec, rule: r.Rule, compiler: Compiler) -> r.Rule:
    """`rule` limited to the patients its restricting heading names.

    An inclusion item under "For women of childbearing potential:" is met by
    anyone the heading does not cover (`implies(heading; rule)`); an exclusion
    item excludes only those it covers (`heading and rule`). A heading the
    grammar reads only in part is one review leaf (a partial reading of a
    population such as "Patients MDD & BD" could wrongly exempt a patient),
    so the item is then definite only where the rule alone decides it the
    favourable way.
    """
    condition = criterion.condition or ""
    heading = compiler(condition.strip().rstrip(":").strip() or condition, "inclusion")
    whole = heading.class_ is CriterionClass.CLINICAL and not r.has_review(heading.rule)
    covered = heading.rule if whole else r.Review(condition)
    restricted = r.for_subgroup(covered, rule, exclusion=criterion.kind == "exclusion")
    if criterion.condition_scope == "uncertain":  # the heading may end before this item
        return r.Readings((rule, restricted))
    return restricted


def _effect(kind: Kind, status: Status) -> Effect:
    if kind is Kind.UNCLASSIFIED or not status.definite:
        return Effect.OPEN
    passes = (status is Status.MET) == (kind is Kind.INCLUSION)
    return Effect.PASS if passes else Effect.FAIL


def _criterion_result(
    trial: CompiledTrial,
    criterion: CompiledCriterion,
    facts: PatientFacts,
    answers: dict[tuple[str, str], AnswerEntry],
) -> CriterionResult:
    answer = answers.get((trial.id, criterion.id)) if answers else None
    if answer is None and criterion.patient_independent:
        return criterion.static_result  # the same for every patient: built once, shared
    outcome = evaluate(criterion.rule, facts)  # once per patient for rules shared by trials
    recorded = None
    if criterion.kind is Kind.UNCLASSIFIED and answer is None:
        outcome = Outcome(
            Status.REVIEW, "unclassified item: not counted for either section", outcome.values
        )
    if answer is not None:
        status = Status(answer.answer)
        recorded = Answer(status=status, by=answer.by, on=answer.date)
        when = f" on {answer.date}" if answer.date else ""
        note = f" ({answer.note})" if answer.note else ""
        outcome = Outcome(
            status,
            f"answered {status.value} by {answer.by}{when}{note}; engine: {outcome.reason}",
            outcome.values,
        )
    # built from values already typed and checked (the hot path of screening): no validation
    return trusted(
        CriterionResult,
        {
            "id": criterion.id,
            "kind": criterion.kind,
            "class_": criterion.class_,
            "origin": criterion.origin,
            "text": criterion.text,
            "status": outcome.status,
            "effect": _effect(criterion.kind, outcome.status),
            "rule": criterion.canonical,
            "reason": outcome.reason,
            "values": list(outcome.values),
            "missing": list(dict.fromkeys(outcome.missing)) if not outcome.status.definite else [],
            "answer": recorded,
            "context": criterion.shown_context,
        },
    )


@dataclass
class _Tally:
    """Running verdict counts over criterion results (see `_verdict`)."""

    failed: bool = False
    any_open: bool = False
    pending: bool = True
    missing: int = 0
    judgement: int = 0
    administrative: int = 0

    def copy(self) -> _Tally:
        return _Tally(
            self.failed,
            self.any_open,
            self.pending,
            self.missing,
            self.judgement,
            self.administrative,
        )

    def add(self, c: CriterionResult) -> None:
        effect = c.effect
        if effect is Effect.FAIL:
            self.failed = True
            return
        if effect is not Effect.OPEN:
            return
        self.any_open = True
        if c.kind is Kind.UNCLASSIFIED:
            self.judgement += 1
            self.pending = False
            return
        if c.class_ is CriterionClass.CLINICAL:
            self.pending = False
        if c.status is Status.UNKNOWN:
            self.missing += 1
        elif c.class_ is CriterionClass.ADMINISTRATIVE:
            self.administrative += 1
        else:
            self.judgement += 1

    def verdict(self) -> tuple[Verdict, OpenCounts, bool]:
        if self.failed:
            return Verdict.INELIGIBLE, _NOTHING_OPEN, False
        if not self.any_open:
            return Verdict.ELIGIBLE, _NOTHING_OPEN, False
        counts = OpenCounts(
            missing_data=self.missing, judgement=self.judgement, administrative=self.administrative
        )
        return Verdict.NEEDS_REVIEW, counts, self.pending


def _verdict(results: list[CriterionResult]) -> tuple[Verdict, OpenCounts, bool]:
    """Ineligible on any failure; eligible only with nothing open.

    An unclassified item is always open (`_effect`), even when answered: a
    person must first file it under inclusion or exclusion, so a trial with
    one is never `eligible` nor `pending_confirmation`. It counts as a
    judgement item.
    """
    tally = _Tally()
    for result in results:
        tally.add(result)
        if tally.failed:
            break
    return tally.verdict()


_NOTHING_OPEN = OpenCounts()


def _rank(trial: TrialResult) -> tuple[int, int, str]:
    if trial.verdict is Verdict.ELIGIBLE:
        return (0, 0, trial.id)
    if trial.verdict is Verdict.INELIGIBLE:
        return (3, 0, trial.id)
    if trial.pending_confirmation:
        return (1, 0, trial.id)
    return (2, trial.open.missing_data, trial.id)


TRIALS_VARIABLE = "SCREENER_TRIALS"
"""Environment variable naming the user's trial folders, used when no paths are given."""


@cache
def grammar_version() -> str:
    """A short digest of the grammar files, so results name the grammar they came from."""
    import hashlib

    digest = hashlib.sha256()
    for name in ("criterion.lark", "rule.lark"):
        digest.update(grammar_path(name).read_bytes())
    return digest.hexdigest()[:12]


def _shared_leaves(trials: list[CompiledTrial]) -> list[CompiledTrial]:
    """Trials whose equal leaves are one object (see rules.intern)."""
    table: dict[r.Rule, r.Rule] = {}
    return [
        replace(
            trial, criteria=tuple(replace(c, rule=r.intern(c.rule, table)) for c in trial.criteria)
        )
        for trial in trials
    ]


@dataclass
class TrialLibrary:
    """Compiled trials, ready to screen any number of patients."""

    trials: list[CompiledTrial]
    rejected: list[InputError] = field(default_factory=list)

    @classmethod
    def load(
        cls, paths: Path | str | Iterable[Path | str] | None = None, *, use_cache: bool = True
    ) -> TrialLibrary:
        """Load trial files and folders and compile them.

        Default: the folders named in $SCREENER_TRIALS (separated like PATH), else the
        bundled library (read-only: user trials are never written into the package).

        Paths may also hold ClinicalTrials.gov API v2 JSON (a study, a page of
        studies, folders of them; see screener.ctgov); a bad file or study is
        kept in `rejected` and never stops the others.
        Compiled criteria are cached by text (screener.cache); `use_cache=False` compiles all.
        """
        if paths is None:
            configured = os.environ.get(TRIALS_VARIABLE)
            chosen = (
                [Path(p) for p in configured.split(os.pathsep) if p]
                if configured
                else [default_library_dir()]
            )
        elif isinstance(paths, Path | str):
            chosen = [Path(paths)]
        else:
            chosen = [Path(p) for p in paths]
        specs, errors = load_trial_paths(chosen)
        return cls.from_specs(specs, errors, use_cache=use_cache)

    @classmethod
    def from_specs(
        cls,
        specs: Iterable[TrialSpec],
        rejected: Iterable[InputError] = (),
        *,
        use_cache: bool = False,
    ) -> TrialLibrary:
        """Compile trial specs; with `use_cache`, through the on-disk compile cache."""
        if not use_cache:
            trials = [compile_trial(spec) for spec in specs]
        else:
            cache = CompileCache()
            trials = [compile_trial(spec, cache.compile) for spec in specs]
            cache.save()
        return cls(_shared_leaves(trials), list(rejected))

    def filtered(
        self,
        status: str | Iterable[str] | None = None,
        country: str | Iterable[str] | None = None,
        site: str | Iterable[str] | None = None,
    ) -> TrialLibrary:
        """The trials that pass every filter given (`screener.filters.TrialFilter`):
        a recruitment status among `status`; a location in one of the `country`
        values whose facility or city contains one of the `site` texts. The
        rejected inputs stay. An unknown status raises `ValueError`."""
        chosen = filters.TrialFilter.build(status=status, country=country, site=site)
        return TrialLibrary(
            [trial for trial in self.trials if chosen.keeps(trial.spec)], list(self.rejected)
        )

    def freeze(self) -> TrialLibrary:
        """Move everything loaded so far out of the cyclic garbage collector's sight.

        A compiled library is large and lives as long as the process; without this,
        every full collection walks all of it (a third of screening time on a
        600-trial library). Call once after loading in a long-running process; it
        calls `gc.freeze()`, which affects every object alive at that moment.
        """
        gc.freeze()
        return self

    def screen(
        self,
        patient: Patient,
        on: dt.date | None = None,
        time_rules: TimeRules | None = None,
        reference_ranges: ReferenceRanges | None = None,
    ) -> ScreeningReport:
        """Screen one patient against every trial; `on` overrides the screening date.

        `reference_ranges` (`screener.reference_ranges.load_reference_ranges`) are the
        site's default upper limits for '× ULN' criteria when an observation has no
        reference range of its own; none by default.
        """
        screening_date = on or patient.screening_date or dt.date.today()
        facts = PatientFacts(
            patient,
            screening_date,
            time_rules or TimeRules(),
            reference_ranges=reference_ranges,
        )
        answers = {(a.trial, a.criterion): a for a in patient.answers}
        answered = {trial_id for trial_id, _ in answers}
        results: list[TrialResult] = []
        for trial in self.trials:
            if trial.id in answered:  # answers may decide any criterion: evaluate them all
                criteria = [_criterion_result(trial, c, facts, answers) for c in trial.criteria]
                verdict, counts, pending = _verdict(criteria)
            else:
                fixed, dynamic = trial.template
                filled = list(fixed)
                for index in dynamic:
                    filled[index] = _criterion_result(trial, trial.criteria[index], facts, {})
                criteria = [c for c in filled if c is not None]
                tally = trial.fixed_tally.copy()
                for index in dynamic:
                    found = filled[index]
                    assert found is not None
                    tally.add(found)
                verdict, counts, pending = tally.verdict()
            results.append(
                trusted(  # typed values, as in _criterion_result
                    TrialResult,
                    {
                        "id": trial.id,
                        "title": trial.spec.title,
                        "status": trial.spec.status,
                        "verdict": verdict,
                        "pending_confirmation": pending,
                        "open": counts,
                        "criteria": criteria,
                    },
                )
            )
        results.sort(key=_rank)
        warnings = [w for t in self.trials for w in t.warnings]
        warnings += list(dict.fromkeys([*facts.warnings, *patient.notes]))
        return with_to_collect(
            ScreeningReport(
                engine=Engine(version=__version__, grammar=grammar_version()),
                patient=patient.id,
                screened_on=screening_date,
                warnings=warnings,
                rejected=[
                    Rejected(source=e.source, field=e.field, message=e.message)
                    for e in self.rejected
                ],
                trials=results,
            )
        )
