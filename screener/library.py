"""`TrialLibrary`: load and compile trials once, screen many patients.

from screener import TrialLibrary, load_patient
library = TrialLibrary.load()                 # the bundled trials, or paths
report = library.screen(load_patient("patient.json"))
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from screener import __version__, filters
from screener import rules as r
from screener.cache import CompileCache
from screener.canonical import RuleSyntaxError, parse_rule
from screener.compiler import Compiled, compile_criterion
from screener.errors import InputError
from screener.evaluate import Outcome, evaluate, normalise_thresholds
from screener.facts import PatientFacts, TimeRules
from screener.logic import Status
from screener.patient import Patient
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

    @property
    def coverage(self) -> str:
        """full: no review leaf; none: nothing compiled; partial otherwise."""
        found = r.leaves(self.rule)
        reviews = sum(isinstance(leaf, r.Review) for leaf in found)
        if reviews == 0:
            return "full"
        return "none" if reviews == len(found) else "partial"

    @property
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


def compile_trial(spec: TrialSpec, compiler: Compiler = compile_criterion) -> CompiledTrial:
    """Compile every criterion of a trial (text, rewrite) plus its structured fields."""
    criteria = _structured(spec)
    warnings: list[str] = []
    for criterion in spec.criteria:
        compiled = compiler(criterion.text, criterion.kind)
        rule, origin, reasons = compiled.rule, Origin.TEXT, compiled.reasons
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
    if criterion.kind == "exclusion":
        return r.AllOf((covered, rule))
    return r.Implies(covered, rule)


def _effect(kind: Kind, status: Status) -> Effect:
    if kind is Kind.UNCLASSIFIED or not status.definite:
        return Effect.OPEN
    passes = (status is Status.MET) == (kind is Kind.INCLUSION)
    return Effect.PASS if passes else Effect.FAIL


def _criterion_result(
    trial: CompiledTrial, criterion: CompiledCriterion, facts: PatientFacts
) -> CriterionResult:
    answer = next(
        (a for a in facts.patient.answers if a.trial == trial.id and a.criterion == criterion.id),
        None,
    )
    outcome = evaluate(criterion.rule, facts)
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
    return CriterionResult(
        id=criterion.id,
        kind=criterion.kind,
        class_=criterion.class_,
        origin=criterion.origin,
        text=criterion.text,
        status=outcome.status,
        effect=_effect(criterion.kind, outcome.status),
        rule=criterion.canonical,
        reason=outcome.reason,
        values=list(outcome.values),
        missing=list(dict.fromkeys(outcome.missing)) if not outcome.status.definite else [],
        answer=recorded,
        context=" / ".join(h for h in (criterion.context, criterion.condition) if h) or None,
    )


def _verdict(results: list[CriterionResult]) -> tuple[Verdict, OpenCounts, bool]:
    """Ineligible on any failure; eligible only with nothing open.

    An unclassified item is always open (`_effect`), even when answered: a
    person must first file it under inclusion or exclusion, so a trial with
    one is never `eligible` nor `pending_confirmation`. It counts as a
    judgement item.
    """
    if any(c.effect is Effect.FAIL for c in results):
        return Verdict.INELIGIBLE, OpenCounts(), False
    open_items = [c for c in results if c.effect is Effect.OPEN]
    if not open_items:
        return Verdict.ELIGIBLE, OpenCounts(), False
    unclassified = [c for c in open_items if c.kind is Kind.UNCLASSIFIED]
    classified = [c for c in open_items if c.kind is not Kind.UNCLASSIFIED]
    counts = OpenCounts(
        missing_data=sum(c.status is Status.UNKNOWN for c in classified),
        judgement=len(unclassified) + sum(
            c.status is Status.REVIEW and c.class_ is not CriterionClass.ADMINISTRATIVE
            for c in classified
        ),
        administrative=sum(
            c.status is Status.REVIEW and c.class_ is CriterionClass.ADMINISTRATIVE
            for c in classified
        ),
    )
    pending = not unclassified and all(
        c.class_ is not CriterionClass.CLINICAL for c in open_items
    )
    return Verdict.NEEDS_REVIEW, counts, pending


def _rank(trial: TrialResult) -> tuple[int, int, str]:
    if trial.verdict is Verdict.ELIGIBLE:
        return (0, 0, trial.id)
    if trial.verdict is Verdict.INELIGIBLE:
        return (3, 0, trial.id)
    if trial.pending_confirmation:
        return (1, 0, trial.id)
    return (2, trial.open.missing_data, trial.id)


def grammar_version() -> str:
    """A short digest of the grammar files, so results name the grammar they came from."""
    import hashlib

    digest = hashlib.sha256()
    for name in ("criterion.lark", "rule.lark"):
        digest.update(grammar_path(name).read_bytes())
    return digest.hexdigest()[:12]


@dataclass
class TrialLibrary:
    """Compiled trials, ready to screen any number of patients."""

    trials: list[CompiledTrial]
    rejected: list[InputError] = field(default_factory=list)

    @classmethod
    def load(
        cls, paths: Path | str | Iterable[Path | str] | None = None, *, use_cache: bool = True
    ) -> TrialLibrary:
        """Load trial files and folders (default: the bundled library) and compile them.

        Paths may also hold ClinicalTrials.gov API v2 JSON (a study, a page of
        studies, folders of them; see screener.ctgov); a bad file or study is
        kept in `rejected` and never stops the others.
        Compiled criteria are cached by text (screener.cache); `use_cache=False` compiles all.
        """
        if paths is None:
            chosen = [default_library_dir()]
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
            return cls([compile_trial(spec) for spec in specs], list(rejected))
        cache = CompileCache()
        trials = [compile_trial(spec, cache.compile) for spec in specs]
        cache.save()
        return cls(trials, list(rejected))

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

    def screen(
        self, patient: Patient, on: dt.date | None = None, time_rules: TimeRules | None = None
    ) -> ScreeningReport:
        """Screen one patient against every trial; `on` overrides the screening date."""
        screening_date = on or patient.screening_date or dt.date.today()
        facts = PatientFacts(patient, screening_date, time_rules or TimeRules())
        results: list[TrialResult] = []
        for trial in self.trials:
            criteria = [_criterion_result(trial, c, facts) for c in trial.criteria]
            verdict, counts, pending = _verdict(criteria)
            results.append(
                TrialResult(
                    id=trial.id,
                    title=trial.spec.title,
                    status=trial.spec.status,
                    verdict=verdict,
                    pending_confirmation=pending,
                    open=counts,
                    criteria=criteria,
                )
            )
        results.sort(key=_rank)
        warnings = [w for t in self.trials for w in t.warnings]
        warnings += list(dict.fromkeys(facts.warnings))
        return ScreeningReport(
            engine=Engine(version=__version__, grammar=grammar_version()),
            patient=patient.id,
            screened_on=screening_date,
            warnings=warnings,
            rejected=[
                Rejected(source=e.source, field=e.field, message=e.message) for e in self.rejected
            ],
            trials=results,
        )
