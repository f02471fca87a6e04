"""Generate a seeded test population of patient files for the seed trials of rules/.

    python scripts/generate_population.py --count 1000 --seed 1 --out /tmp/population

Writes DIR/GEN-00001.json ... (one patient each, in docs/patient-format.md) and a
few malformed files (DIR/malformed-*.json) that the screener must reject one by
one. The same count and seed give the same files.

Every patient is drawn for one target trial and one target verdict: eligible,
pending confirmation, needs review or ineligible. The first 4 × (number of
trials) patients go through every (trial, verdict) pair in turn, so any count
at least that large yields every verdict for every trial; later targets are
drawn at random, mostly needs review and ineligible as in a real clinic.
Clinical data are drawn around the trial's population (liver failure,
decompensated cirrhosis, ovarian insufficiency, HPV, sepsis), then the target
is reached the way a coordinator would: missing data stay missing for "needs
review"; an age, sex or excluding diagnosis makes "ineligible"; coordinator
`answers` settle the items a person must decide (the clinical ones for
"pending confirmation", all of them for "eligible"). Each patient is screened
with the engine before it is written, so the target is checked, not hoped for.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from screener import TrialLibrary
from screener.patient import patient_from_dict
from screener.results import CriterionClass, Effect, Kind, TrialResult

ROOT = Path(__file__).resolve().parents[1]
SCREENING_DATE = dt.date(2026, 11, 21)
VERDICTS = ("eligible", "pending_confirmation", "needs_review", "ineligible")
LATER_TARGETS = {"needs_review": 5, "ineligible": 3, "pending_confirmation": 1, "eligible": 1}
TRIES = 25
COORDINATOR = "GEN coordinator"

Json = dict[str, Any]


@dataclass(frozen=True)
class Lab:
    name: str
    loinc: str
    low: float
    high: float
    unit: str | None
    decimals: int = 1


@dataclass(frozen=True)
class Scenario:
    """The population a trial recruits: who, with which data."""

    ages: tuple[int, int] = (18, 65)
    sexes: tuple[str, ...] = ("female", "male")
    wanted: tuple[str, ...] = ()  # diagnoses the trial asks for (present, or not yet recorded)
    excluded: tuple[str, ...] = ()  # diagnoses it excludes (absent, or not yet recorded)
    disqualifying: tuple[str, ...] = ()  # excluded diagnoses that exclude when present
    labs: tuple[Lab, ...] = ()
    life_expectancy_months: tuple[int, int] | None = None
    other_trials: bool = False
    extra: Callable[[random.Random, Json], None] | None = None


def _no_dialysis(rng: random.Random, patient: Json) -> None:
    if rng.random() < 0.8:
        patient["procedures"] = [{"name": "dialysis", "status": "absent"}]


LIVER_LABS = (
    Lab("total bilirubin", "1975-2", 10.1, 16.0, "mg/dL"),
    Lab("INR", "6301-6", 1.5, 2.4, None),
    Lab("creatinine", "2160-0", 0.6, 1.2, "mg/dL"),
)

SCENARIOS: dict[str, Scenario] = {
    "LOCAL-liver-failure-mscs": Scenario(
        ages=(18, 65),
        wanted=("acute liver failure",),
        excluded=(
            "hepatic encephalopathy", "diabetes mellitus", "heart disease", "lung disease",
            "blood disease", "autoimmune disease", "disseminated intravascular coagulation",
            "active bleeding", "circulatory failure",
        ),
        disqualifying=("circulatory failure",),
        labs=LIVER_LABS,
        extra=_no_dialysis,
    ),
    "NCT01342250": Scenario(
        ages=(18, 70),
        wanted=("decompensated liver cirrhosis",),
        excluded=("hepatitis B", "bacterial infection", "malignancy", "alcoholism", "drug abuse"),
        disqualifying=("malignancy", "alcoholism"),
        labs=(*LIVER_LABS[1:], Lab("albumin", "1751-7", 2.5, 3.4, "g/dL"),
              Lab("total bilirubin", "1975-2", 1.0, 2.9, "mg/dL")),
        life_expectancy_months=(3, 24),
        other_trials=True,
        extra=_no_dialysis,
    ),
    "NCT03033277": Scenario(
        ages=(20, 40),
        sexes=("female",),
        wanted=("primary ovarian insufficiency",),
        excluded=(
            "primary amenorrhea", "Turner syndrome", "fragile X syndrome", "thyroid dysfunction",
            "endometriosis", "ovarian cancer", "HIV infection", "hepatitis B", "hepatitis C",
        ),
        disqualifying=("thyroid dysfunction", "HIV infection", "hepatitis C"),
    ),
    "NCT06610773": Scenario(
        ages=(25, 60),
        sexes=("female",),
        wanted=("high-risk HPV infection",),
        excluded=("cervical cancer", "HIV infection", "autoimmune disease"),
        other_trials=True,
    ),
    "NCT06882811": Scenario(
        ages=(18, 65),
        wanted=("sepsis", "pneumonia"),
        excluded=(
            "septic shock", "malignancy", "chronic enteritis", "neuropsychiatric disorder",
            "organ transplant",
        ),
        disqualifying=("septic shock",),
        life_expectancy_months=(1, 24),
        other_trials=True,
    ),
}


# ---------------------------------------------------------------------------
# drawing a patient


def birth_date(rng: random.Random, age: int) -> str:
    """A birth date giving `age` completed years on the screening date."""
    latest = SCREENING_DATE.replace(year=SCREENING_DATE.year - age)
    return (latest - dt.timedelta(days=rng.randrange(0, 360))).isoformat()


def recent(rng: random.Random, days: int = 10) -> str:
    return (SCREENING_DATE - dt.timedelta(days=rng.randrange(1, days))).isoformat()


def draw(rng: random.Random, patient_id: str, scenario: Scenario, completeness: float) -> Json:
    """A patient of the scenario's population; `completeness` is the chance that
    each data item is on file."""
    sex = rng.choice(scenario.sexes)
    age = rng.randint(*scenario.ages)
    patient: Json = {
        "id": patient_id,
        "screening_date": SCREENING_DATE.isoformat(),
        "birth_date": birth_date(rng, age),
        "sex": sex,
    }
    if sex == "female":
        for name in ("pregnancy", "lactation"):
            if rng.random() < completeness:
                patient[name] = {"status": "absent", "date": recent(rng, 5)}
    conditions: list[Json] = []
    for name in scenario.wanted:
        if rng.random() < completeness:
            conditions.append({"name": name, "status": "present", "onset": recent(rng, 30)})
    for name in scenario.excluded:
        if rng.random() < completeness:
            conditions.append({"name": name, "status": "absent"})
    if conditions:
        patient["conditions"] = conditions
    observations: list[Json] = []
    for lab in scenario.labs:
        if rng.random() < completeness:
            value = round(rng.uniform(lab.low, lab.high), lab.decimals)
            entry: Json = {"name": lab.name, "loinc": lab.loinc, "value": value,
                           "date": f"{recent(rng, 5)}T08:00"}
            if lab.unit:
                entry["unit"] = lab.unit
            observations.append(entry)
    if observations:
        patient["observations"] = observations
    facts: Json = {}
    if scenario.life_expectancy_months and rng.random() < completeness:
        facts["life_expectancy"] = {"value": rng.randint(*scenario.life_expectancy_months),
                                    "unit": "months", "date": recent(rng)}
    if "hepatic encephalopathy" in scenario.excluded and rng.random() < completeness:
        facts["hepatic_encephalopathy_grade"] = {"value": rng.randint(0, 2), "date": recent(rng)}
    if facts:
        patient["facts"] = facts
    if scenario.other_trials and rng.random() < completeness:
        patient["trial_participation"] = [{"status": "absent"}]
    if scenario.extra is not None:
        scenario.extra(rng, patient)
    return patient


def make_ineligible(rng: random.Random, patient: Json, scenario: Scenario) -> None:
    """One reason a screening team meets every day: too old, the other sex, or an
    excluding diagnosis on file."""
    ways = ["age"]
    if len(scenario.sexes) == 1:
        ways.append("sex")
    if scenario.disqualifying:
        ways.append("diagnosis")
    way = rng.choice(ways)
    if way == "age":
        patient["birth_date"] = birth_date(rng, rng.randint(scenario.ages[1] + 6, 92))
    elif way == "sex":
        patient["sex"] = "male"
        patient.pop("pregnancy", None)
        patient.pop("lactation", None)
    else:
        name = rng.choice(scenario.disqualifying)
        conditions = [c for c in patient.get("conditions", []) if c["name"] != name]
        patient["conditions"] = [*conditions, {"name": name, "status": "present",
                                               "onset": recent(rng, 60)}]


def answer_open_items(patient: Json, trial: TrialResult, *, all_items: bool) -> None:
    """Coordinator answers, favourable, to the open items of one trial: the clinical
    ones (and any waiting for data), or with `all_items` every one."""
    answers: list[Json] = list(patient.get("answers", []))
    for criterion in trial.criteria:
        if criterion.effect is not Effect.OPEN:
            continue
        confirmable = (
            criterion.class_ is not CriterionClass.CLINICAL and not criterion.missing
        )
        if confirmable and not all_items:
            continue
        answers.append({
            "trial": trial.id,
            "criterion": criterion.id,
            "answer": "met" if criterion.kind is Kind.INCLUSION else "not_met",
            "by": COORDINATOR,
            "date": SCREENING_DATE.isoformat(),
        })
    patient["answers"] = answers


# ---------------------------------------------------------------------------
# reaching a target


@dataclass(frozen=True)
class Generator:
    library: TrialLibrary
    seed: int

    def verdict(self, patient: Json, trial_id: str) -> tuple[str, TrialResult]:
        report = self.library.screen(patient_from_dict(patient, "generated"))
        trial = next(t for t in report.trials if t.id == trial_id)
        code = "pending_confirmation" if trial.pending_confirmation else trial.verdict.value
        return code, trial

    def patient(self, number: int, trial_id: str, target: str) -> Json:
        """A patient whose verdict for `trial_id` is `target`."""
        scenario = SCENARIOS.get(trial_id, Scenario())
        patient_id = f"GEN-{number:05d}"
        for attempt in range(TRIES):
            rng = random.Random(f"{self.seed}:{number}:{attempt}")
            completeness = 0.5 if target == "needs_review" else rng.uniform(0.6, 1.0)
            patient = draw(rng, patient_id, scenario, completeness)
            if self._reach(rng, patient, scenario, trial_id, target):
                return patient
        raise SystemExit(f"could not make a {target} patient for {trial_id}; "
                         "does the trial admit anyone?")

    def _reach(self, rng: random.Random, patient: Json, scenario: Scenario, trial_id: str,
               target: str) -> bool:
        if target == "ineligible":
            make_ineligible(rng, patient, scenario)
        code, trial = self.verdict(patient, trial_id)
        if code == "ineligible" or target in ("needs_review", "ineligible"):
            return code == target
        answer_open_items(patient, trial, all_items=target == "eligible")
        return self.verdict(patient, trial_id)[0] == target


def malformed(out: Path) -> list[Path]:
    """Files the screener must reject, each for a different reason."""
    files = {
        "malformed-1.json": '{"id": "BAD-1", "sex": "female",\n',  # truncated JSON
        "malformed-2.json": json.dumps({"sex": "male", "birth_date": "1970-01-01"}),  # no id
        "malformed-3.json": json.dumps({"id": "BAD-3", "birth_date": "1970-01-01",
                                        "observations": [{"nmae": "INR", "value": 1.2,
                                                          "date": "2026-11-20"}]}),
    }
    written = []
    for name, text in files.items():
        path = out / name
        path.write_text(text + "\n", encoding="utf-8")
        written.append(path)
    return written


def targets(count: int, trial_ids: list[str], seed: int) -> list[tuple[str, str]]:
    """Every (trial, verdict) pair first, then random draws weighted as in a clinic."""
    pairs = [(trial_ids[i % len(trial_ids)], VERDICTS[(i // len(trial_ids)) % len(VERDICTS)])
             for i in range(len(trial_ids) * len(VERDICTS))]
    rng = random.Random(f"{seed}:targets")
    chosen = pairs[:count]
    weights = list(LATER_TARGETS.values())
    while len(chosen) < count:
        verdict = rng.choices(list(LATER_TARGETS), weights)[0]
        chosen.append((rng.choice(trial_ids), verdict))
    return chosen


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, required=True, help="patients to write")
    parser.add_argument("--seed", type=int, required=True, help="random seed")
    parser.add_argument("--out", type=Path, required=True, help="folder for the files")
    parser.add_argument("--trials", type=Path, default=ROOT / "rules",
                        help="trial library (default: rules/)")
    args = parser.parse_args(argv)
    if args.count < 1:
        parser.error("--count must be at least 1")
    library = TrialLibrary.load(args.trials)
    if not library.trials:
        parser.error(f"no trials in {args.trials}")
    args.out.mkdir(parents=True, exist_ok=True)
    generator = Generator(library, args.seed)
    trial_ids = [t.id for t in library.trials]
    for number, (trial_id, target) in enumerate(targets(args.count, trial_ids, args.seed), 1):
        patient = generator.patient(number, trial_id, target)
        path = args.out / f"{patient['id']}.json"
        path.write_text(json.dumps(patient, indent=2, ensure_ascii=False) + "\n",
                        encoding="utf-8")
    bad = malformed(args.out)
    print(f"wrote {args.count} patients and {len(bad)} malformed files to {args.out}")


if __name__ == "__main__":
    main()
