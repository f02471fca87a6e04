"""FHIR R4 input (screener.fhir): Bundles, NDJSON folders, lenient reading, and the
refutation of a concept by a set of absent codes (concepts.yaml `refuted_by`)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from screener import TrialLibrary, analytes, concepts
from screener.canonical import parse_rule
from screener.compiler import compile_criterion
from screener.errors import InputError
from screener.evaluate import Outcome, evaluate
from screener.facts import PatientFacts
from screener.fhir import load_fhir_folder
from screener.patient import PartialDate, Patient, load_patient

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
ON = dt.date(2026, 11, 21)
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
ICD = "http://hl7.org/fhir/sid/icd-10-cm"
UCUM = "http://unitsofmeasure.org"
BIRTH_SEX = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex"

Json = dict[str, Any]


# ---------------------------------------------------------------- builders


def patient_resource(pid: str = "p1", **fields: Any) -> Json:
    return {"resourceType": "Patient", "id": pid, **fields}


def bundle(*resources: Json, patient: Json | None = None) -> Json:
    everything = [patient or patient_resource(), *resources]
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": resource} for resource in everything],
    }


def load(tmp_path: Path, data: Json, name: str = "bundle.json") -> Patient:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return load_patient(path)


def concept(system: str, code: str, display: str | None = None, text: str | None = None) -> Json:
    coding: Json = {"system": system, "code": code}
    if display:
        coding["display"] = display
    return {"coding": [coding], **({"text": text} if text else {})}


def condition(
    code: str | None = None,
    clinical: str | None = "active",
    verification: str | None = "confirmed",
    text: str | None = None,
    **fields: Any,
) -> Json:
    resource: Json = {"resourceType": "Condition", "subject": {"reference": "Patient/p1"}}
    resource["code"] = concept(ICD, code, text=text) if code else {"text": text}
    if clinical:
        resource["clinicalStatus"] = concept(
            "http://terminology.hl7.org/CodeSystem/condition-clinical", clinical
        )
    if verification:
        resource["verificationStatus"] = concept(
            "http://terminology.hl7.org/CodeSystem/condition-ver-status", verification
        )
    return {**resource, **fields}


def observation(
    loinc: str | None,
    value: Json | None = None,
    when: str = "2026-11-20T08:00:00Z",
    status: str = "final",
    **fields: Any,
) -> Json:
    resource: Json = {
        "resourceType": "Observation",
        "status": status,
        "subject": {"reference": "Patient/p1"},
        "code": concept(LOINC, loinc) if loinc else {},
        "effectiveDateTime": when,
    }
    if value is not None:
        resource["valueQuantity"] = value
    return {**resource, **fields}


def quantity(value: float, code: str, comparator: str | None = None) -> Json:
    found: Json = {"value": value, "unit": code, "system": UCUM, "code": code}
    if comparator:
        found["comparator"] = comparator
    return found


def outcome(text: str, subject: Patient, kind: str = "exclusion") -> Outcome:
    rule = compile_criterion(text, kind).rule
    return evaluate(rule, PatientFacts(subject, ON))


@pytest.fixture(scope="module")
def library() -> TrialLibrary:
    return TrialLibrary.load()


# ---------------------------------------------------------------- the examples and their twins


def statuses(library: TrialLibrary, subject: Patient) -> list[Any]:
    report = library.screen(subject, on=ON)
    return [
        (trial.id, trial.verdict, [(c.id, c.status) for c in trial.criteria])
        for trial in report.trials
    ]


@pytest.mark.parametrize(
    "name", ["liver_failure_patient", "meld_excluded_patient", "sepsis_patient", "hpv_woman"]
)
def test_bundle_screens_like_its_json_twin(library: TrialLibrary, name: str) -> None:
    twin = load_patient(EXAMPLES / f"{name}.json")
    fhir = load_patient(EXAMPLES / f"{name}.fhir.json")
    assert fhir.id == twin.id
    assert fhir.notes == []
    assert statuses(library, fhir) == statuses(library, twin)


def test_example_bundle_values(library: TrialLibrary) -> None:
    subject = load_patient(EXAMPLES / "meld_excluded_patient.fhir.json")
    report = library.screen(subject, on=ON)
    liver = next(t for t in report.trials if t.id == "LOCAL-liver-failure-mscs")
    meld = next(c for c in liver.criteria if c.id == "exc-4")
    assert meld.status == "met" and "MELD 40" in meld.reason
    creatinine = next(o for o in subject.observations if o.loinc == "2160-0")
    assert creatinine.unit == "umol/L" and creatinine.value == 265


# ---------------------------------------------------------------- acceptance


def test_liver_cancer_condition_meets_malignancies(tmp_path: Path) -> None:
    subject = load(tmp_path, bundle(condition("C22.0")))
    assert outcome("Malignancies.", subject).status == "met"


def test_hypothyroidism_meets_thyroid_dysfunction(tmp_path: Path) -> None:
    subject = load(tmp_path, bundle(condition("E03.9")))
    assert outcome("Thyroid dysfunction", subject).status == "met"


REFUTED_AT_CATEGORIES = ("B20", "Z21", "B16", "B17", "B18", "Z22.5")


def test_refuted_hiv_hbv_hcv_categories_are_not_met(tmp_path: Path) -> None:
    refuted = [condition(code, None, "refuted") for code in REFUTED_AT_CATEGORIES]
    subject = load(tmp_path, bundle(*refuted))
    assert [c.status for c in subject.conditions] == ["absent"] * 6
    result = outcome("HIV+, hepatitis B, C;", subject)
    assert result.status == "not_met", result.reason


def test_hiv_hbv_hcv_not_recorded_is_unknown(tmp_path: Path) -> None:
    subject = load(tmp_path, bundle(condition("C22.0")))
    assert outcome("HIV+, hepatitis B, C;", subject).status == "unknown"


def test_refuting_b20_alone_leaves_hiv_unknown(tmp_path: Path) -> None:
    subject = load(tmp_path, bundle(condition("B20", None, "refuted")))
    assert outcome("HIV infection", subject).status == "unknown"


def test_recent_bilirubin_in_mg_dl_meets_threshold(tmp_path: Path) -> None:
    lab = observation("1975-2", quantity(10.2, "mg/dL"), when="2026-11-20")
    subject = load(tmp_path, bundle(lab))
    result = outcome("TBil ≥ 171μmol/L", subject, "inclusion")
    assert result.status == "met", result.reason
    assert "174.42" in result.reason


def test_stale_bilirubin_is_unknown_and_says_why(tmp_path: Path) -> None:
    taken = ON - dt.timedelta(days=200)
    lab = observation("1975-2", quantity(10.2, "mg/dL"), when=taken.isoformat())
    result = outcome("TBil ≥ 171μmol/L", load(tmp_path, bundle(lab)), "inclusion")
    assert result.status == "unknown"
    assert "stale" in result.reason and str(taken) in result.reason
    shown = result.values[0]
    assert (shown.value, shown.unit, shown.date) == (10.2, "mg/dL", taken)


# ---------------------------------------------------------------- Patient


@pytest.mark.parametrize(
    ("birth", "expected"),
    [("1980", PartialDate(1980)), ("1980-05", PartialDate(1980, 5)), ("1980-05-17", None)],
)
def test_partial_birth_dates_stay_partial(
    tmp_path: Path, birth: str, expected: PartialDate | None
) -> None:
    subject = load(tmp_path, bundle(patient=patient_resource(birthDate=birth)))
    assert subject.birth_date == (expected or PartialDate(1980, 5, 17))


def test_partial_birth_year_decides_only_where_the_interval_agrees(tmp_path: Path) -> None:
    subject = load(tmp_path, bundle(patient=patient_resource(birthDate="1980")))
    assert subject.age_on(ON) == (45, 46)
    assert outcome("Aged 18-70 years.", subject, "inclusion").status == "met"
    assert outcome("Aged 18-46 years.", subject, "inclusion").status == "met"
    assert outcome("Aged 18-45 years.", subject, "inclusion").status == "unknown"


@pytest.mark.parametrize(
    ("gender", "birth_sex", "expected"),
    [
        ("female", None, "female"),
        ("male", None, "male"),
        ("other", None, "unknown"),
        ("unknown", None, "unknown"),
        ("female", "M", "male"),
        ("other", "F", "female"),
        ("male", "UNK", "male"),
    ],
)
def test_sex_at_birth(tmp_path: Path, gender: str, birth_sex: str | None, expected: str) -> None:
    fields: Json = {"gender": gender}
    if birth_sex:
        fields["extension"] = [{"url": BIRTH_SEX, "valueCode": birth_sex}]
    subject = load(tmp_path, bundle(patient=patient_resource(**fields)))
    assert subject.sex == expected
    assert subject.notes == []


def test_a_lone_patient_resource_is_read(tmp_path: Path) -> None:
    subject = load(tmp_path, patient_resource("solo", gender="female", birthDate="1990-01-02"))
    assert (subject.id, subject.sex, str(subject.birth_date)) == ("solo", "female", "1990-01-02")


def test_several_patients_in_one_bundle_is_an_error_naming_the_file(tmp_path: Path) -> None:
    data = bundle(patient_resource("p2"), patient=patient_resource("p1"))
    with pytest.raises(InputError) as caught:
        load(tmp_path, data, "two.json")
    assert caught.value.source.endswith("two.json")
    assert "2 Patient resources" in caught.value.message


def test_a_bundle_without_patient_is_an_error(tmp_path: Path) -> None:
    data = {"resourceType": "Bundle", "entry": [{"resource": condition("C22.0")}]}
    with pytest.raises(InputError, match="no Patient resource"):
        load(tmp_path, data)


def test_another_resource_type_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="a FHIR Observation resource"):
        load(tmp_path, observation("1975-2", quantity(1, "mg/dL")))


def test_resources_about_another_patient_are_left_out(tmp_path: Path) -> None:
    other = condition("C22.0", subject={"reference": "Patient/someone-else"})
    mine = condition("E03.9", subject={"reference": "https://x.org/fhir/Patient/p1"})
    subject = load(tmp_path, bundle(other, mine))
    assert [c.code for c in subject.conditions] == ["E03.9"]
    assert any("Patient/someone-else" in note for note in subject.notes)


# ---------------------------------------------------------------- Observation


@pytest.mark.parametrize(
    ("status", "kept"),
    [
        ("final", "final"),
        ("amended", "amended"),
        ("corrected", "corrected"),
        ("preliminary", "preliminary"),
        ("cancelled", None),
        ("entered-in-error", None),
    ],
)
def test_observation_status(tmp_path: Path, status: str, kept: str | None) -> None:
    lab = observation("1975-2", quantity(10.2, "mg/dL"), status=status)
    subject = load(tmp_path, bundle(lab))
    assert [o.status for o in subject.observations] == ([kept] if kept else [])
    assert subject.notes == []


def test_preliminary_value_counts_and_is_flagged(tmp_path: Path) -> None:
    lab = observation("1975-2", quantity(10.2, "mg/dL"), status="preliminary")
    result = outcome("TBil ≥ 171μmol/L", load(tmp_path, bundle(lab)), "inclusion")
    assert result.status == "met"
    assert result.values[0].note is not None and "preliminary" in result.values[0].note


def test_observation_fields(tmp_path: Path) -> None:
    lab = observation(
        "1975-2",
        quantity(10.20, "mg/dL"),
        when="2026-11-20T08:30:00+02:00",
        referenceRange=[{"low": quantity(0.3, "mg/dL"), "high": quantity(1.2, "mg/dL")}],
    )
    lab["code"]["coding"][0]["display"] = "Bilirubin.total [Mass/volume] in Serum or Plasma"
    (found,) = load(tmp_path, bundle(lab)).observations
    assert found.loinc == "1975-2"
    assert found.name == "Bilirubin.total [Mass/volume] in Serum or Plasma"
    assert (found.value, found.unit, found.decimals) == (10.2, "mg/dL", 1)
    assert found.date == dt.datetime(2026, 11, 20, 8, 30)
    assert found.reference_range is not None
    assert (found.reference_range.low, found.reference_range.high) == (0.3, 1.2)


@pytest.mark.parametrize(
    ("analyte", "ucum"),
    [
        ("creatinine", "umol/L"),
        ("total_bilirubin", "mg/dL"),
        ("platelets", "10*9/L"),
        ("anc", "10*3/uL"),
        ("pta", "%"),
        ("egfr", "mL/min/{1.73_m2}"),
        ("alt", "[IU]/L"),
        ("inr", "{INR}"),
    ],
)
def test_ucum_codes_of_laboratory_feeds_convert(analyte: str, ucum: str) -> None:
    assert isinstance(analytes.convert(analyte, 1.0, ucum), analytes.Conversion)


def test_ucum_code_is_preferred_to_the_unit_text(tmp_path: Path) -> None:
    value = {"value": 88, "unit": "micromoles per litre", "system": UCUM, "code": "umol/L"}
    (found,) = load(tmp_path, bundle(observation("2160-0", value))).observations
    assert found.unit == "umol/L"


def test_comparator_is_kept(tmp_path: Path) -> None:
    dna = observation("29615-2", quantity(20, "[IU]/mL", comparator="<"))
    (found,) = load(tmp_path, bundle(dna)).observations
    assert (found.comparator, found.value, found.unit) == ("<", 20, "[IU]/mL")


def test_qualitative_result(tmp_path: Path) -> None:
    hbsag = observation("5196-1", valueCodeableConcept=concept(SNOMED, "260385009", "Negative"))
    (found,) = load(tmp_path, bundle(hbsag)).observations
    assert found.value == "Negative"


def test_blood_pressure_panel_is_split_into_its_components(tmp_path: Path) -> None:
    panel = observation(
        "85354-9",
        component=[
            {
                "code": concept(LOINC, "8480-6", "Systolic blood pressure"),
                "valueQuantity": quantity(142, "mm[Hg]"),
            },
            {
                "code": concept(LOINC, "8462-4", "Diastolic blood pressure"),
                "valueQuantity": quantity(91, "mm[Hg]"),
            },
        ],
    )
    found = load(tmp_path, bundle(panel)).observations
    assert [(o.loinc, o.name, o.value) for o in found] == [
        ("8480-6", "Systolic blood pressure", 142),
        ("8462-4", "Diastolic blood pressure", 91),
    ]


@pytest.mark.parametrize(
    ("code", "expected"), [("77386006", "present"), ("60001007", "absent"), ("261665006", None)]
)
def test_pregnancy_status(tmp_path: Path, code: str, expected: str | None) -> None:
    status = observation("82810-3", when="2026-11-19", valueCodeableConcept=concept(SNOMED, code))
    subject = load(tmp_path, bundle(status, patient=patient_resource(gender="female")))
    assert subject.observations == []
    if expected is None:
        assert subject.pregnancy is None
        assert any("pregnancy status" in note for note in subject.notes)
    else:
        assert subject.pregnancy is not None
        assert (subject.pregnancy.status, subject.pregnancy.date) == (
            expected,
            dt.date(2026, 11, 19),
        )


def test_pregnancy_present_for_a_male_is_left_out_with_a_note(tmp_path: Path) -> None:
    status = observation("82810-3", valueCodeableConcept=concept(SNOMED, "77386006"))
    subject = load(tmp_path, bundle(status, patient=patient_resource(gender="male")))
    assert subject.pregnancy is None
    assert any("sex at birth male" in note for note in subject.notes)


def test_a_bound_is_not_a_life_expectancy(tmp_path: Path) -> None:
    bound = observation(None, quantity(3, "mo", comparator="<"), code={"text": "life expectancy"})
    subject = load(tmp_path, bundle(bound))
    assert subject.facts.life_expectancy is None
    assert any("without a comparator" in note for note in subject.notes)


def test_clinical_facts_and_conventions(tmp_path: Path) -> None:
    resources = [
        observation("29463-7", quantity(78.5, "kg")),
        observation("8302-2", quantity(176, "cm")),
        observation("89247-1", valueInteger=1),
        observation("63895-7", valueCodeableConcept=concept(LOINC, "LA29252-6")),
        observation(None, quantity(6, "mo"), code={"text": "Life expectancy"}),
        observation(
            None, code={"text": "participation in other clinical trials"}, valueBoolean=False
        ),
    ]
    subject = load(tmp_path, bundle(*resources, patient=patient_resource(gender="female")))
    facts = subject.facts
    assert facts.weight_kg is not None and facts.weight_kg.value == 78.5
    assert facts.height_m is not None and facts.height_m.value == 1.76
    assert facts.ecog is not None and facts.ecog.value == 1
    assert facts.life_expectancy is not None
    assert (facts.life_expectancy.value, facts.life_expectancy.unit) == (6, "months")
    assert subject.lactation is not None and subject.lactation.status == "present"
    assert [t.status for t in subject.trial_participation] == ["absent"]
    assert subject.observations == [] and subject.notes == []


# ---------------------------------------------------------------- Condition


@pytest.mark.parametrize(
    ("clinical", "verification", "expected"),
    [
        ("active", "confirmed", "present"),
        ("recurrence", "confirmed", "present"),
        ("relapse", None, "present"),
        ("inactive", "confirmed", "resolved"),
        ("remission", "confirmed", "resolved"),
        ("resolved", None, "resolved"),
        ("active", "provisional", "suspected"),
        ("active", "differential", "suspected"),
        ("active", "unconfirmed", "suspected"),
        (None, "refuted", "absent"),
        ("active", "refuted", "absent"),
        ("active", "entered-in-error", None),
    ],
)
def test_condition_status(
    tmp_path: Path, clinical: str | None, verification: str | None, expected: str | None
) -> None:
    subject = load(tmp_path, bundle(condition("K74.60", clinical, verification)))
    assert [c.status for c in subject.conditions] == ([expected] if expected else [])
    assert subject.notes == []


def test_an_abated_condition_without_clinical_status_is_resolved(tmp_path: Path) -> None:
    abated = condition("C22.0", clinical=None, abatementDateTime="2024-05-01")
    subject = load(tmp_path, bundle(abated))
    assert [c.status for c in subject.conditions] == ["resolved"]
    assert subject.notes == []


def test_condition_codes_dates_and_name(tmp_path: Path) -> None:
    both = condition(
        onsetDateTime="2025-11-03T10:00:00Z", recordedDate="2025-11-05", text="liver cancer"
    )
    both["code"] = {
        "coding": [
            {"system": SNOMED, "code": "109841003", "display": "Liver cell carcinoma"},
            {"system": ICD, "code": "C22.0", "display": "Liver cell carcinoma"},
        ],
        "text": "HCC",
    }
    snomed_only = condition(text=None)
    snomed_only["code"] = concept(SNOMED, "40930008", "Hypothyroidism")
    first, second = load(tmp_path, bundle(both, snomed_only)).conditions
    assert (first.code, first.system, first.name) == ("C22.0", "icd10cm", "HCC")
    assert (first.onset, first.recorded) == (dt.date(2025, 11, 3), dt.date(2025, 11, 5))
    assert (second.code, second.system, second.name) == ("40930008", "snomed", "Hypothyroidism")


def test_a_partial_onset_starts_at_the_earliest_day(tmp_path: Path) -> None:
    (found,) = load(tmp_path, bundle(condition("C22.0", onsetDateTime="2019"))).conditions
    assert found.onset == dt.date(2019, 1, 1)


def test_refuted_condition_by_name_rules_the_concept_out(tmp_path: Path) -> None:
    subject = load(tmp_path, bundle(condition(None, None, "refuted", text="hepatitis B")))
    assert outcome("Hepatitis B", subject).status == "not_met"


# ---------------------------------------------------------------- medications and procedures


def medication(kind: str, status: str, **fields: Any) -> Json:
    return {
        "resourceType": kind,
        "status": status,
        "subject": {"reference": "Patient/p1"},
        "medicationCodeableConcept": {
            "coding": [
                {"system": "http://www.whocc.no/atc", "code": "J05AF10", "display": "entecavir"}
            ],
            "text": "entecavir 0.5 mg tablet",
        },
        **fields,
    }


def test_medication_statement(tmp_path: Path) -> None:
    resources = [
        medication("MedicationStatement", "active", effectivePeriod={"start": "2026-01-01"}),
        medication(
            "MedicationStatement",
            "completed",
            effectivePeriod={"start": "2025-01", "end": "2025-06"},
        ),
        medication("MedicationStatement", "not-taken"),
        medication("MedicationStatement", "entered-in-error"),
    ]
    active, completed, not_taken = load(tmp_path, bundle(*resources)).medications
    assert (active.name, active.code, active.status) == (
        "entecavir 0.5 mg tablet",
        "J05AF10",
        "present",
    )
    assert (active.start, active.end) == (dt.date(2026, 1, 1), None)
    assert (completed.start, completed.end) == (dt.date(2025, 1, 1), dt.date(2025, 6, 30))
    assert not_taken.status == "absent"


def test_medication_request(tmp_path: Path) -> None:
    resources = [
        medication("MedicationRequest", "active", intent="order", authoredOn="2026-10-01"),
        medication("MedicationRequest", "active", intent="proposal"),
        medication("MedicationRequest", "cancelled", intent="order"),
    ]
    (found,) = load(tmp_path, bundle(*resources)).medications
    assert (found.status, found.start, found.end) == ("present", dt.date(2026, 10, 1), None)


def test_an_ended_medication_without_end_date_is_left_out(tmp_path: Path) -> None:
    subject = load(tmp_path, bundle(medication("MedicationStatement", "stopped")))
    assert subject.medications == []
    assert any("ended on a date not recorded" in note for note in subject.notes)


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        ("active", "J05AF10", "met"),
        # entecavir not taken leaves the other antivirals open; the whole group J05 not taken
        # rules them out
        ("not-taken", "J05AF10", "unknown"),
        ("not-taken", "J05", "not_met"),
    ],
)
def test_medication_statement_decides_a_drug_class(
    tmp_path: Path, status: str, code: str, expected: str
) -> None:
    statement = medication("MedicationStatement", status, effectiveDateTime="2026-01-01")
    statement["medicationCodeableConcept"]["coding"][0]["code"] = code
    subject = load(tmp_path, bundle(statement))
    result = evaluate(parse_rule("medication(antiviral)"), PatientFacts(subject, ON))
    assert result.status == expected, result.reason


def procedure(status: str, display: str, **fields: Any) -> Json:
    return {
        "resourceType": "Procedure",
        "status": status,
        "subject": {"reference": "Patient/p1"},
        "code": concept(SNOMED, "302497006", display),
        **fields,
    }


def test_dialysis_procedures(tmp_path: Path) -> None:
    resources = [
        procedure("completed", "Hemodialysis", performedDateTime="2026-11-18T09:00:00Z"),
        procedure("completed", "Hemodialysis", performedDateTime="2026-11-20T09:00:00Z"),
        procedure("in-progress", "CVVHD", performedPeriod={"start": "2026-11-19T10:00:00Z"}),
        procedure("not-done", "Haemodialysis"),
        procedure("preparation", "Hemodialysis"),
    ]
    sessions, course, not_done = load(tmp_path, bundle(*resources)).procedures
    assert (sessions.name, sessions.status) == ("Hemodialysis", "present")
    assert sessions.dates == [dt.datetime(2026, 11, 18, 9, 0), dt.datetime(2026, 11, 20, 9, 0)]
    assert (course.start, course.end) == (dt.datetime(2026, 11, 19, 10, 0), None)
    assert not_done.status == "absent"


def test_dialysis_sessions_of_separate_procedures_count_together_for_meld(tmp_path: Path) -> None:
    sessions = [
        procedure(
            "completed",
            "Hemodialysis",
            performedPeriod={
                "start": f"2026-11-{day}T09:00:00Z",
                "end": f"2026-11-{day}T13:00:00Z",
            },
        )
        for day in (17, 19)
    ]
    labs = [
        observation("1975-2", quantity(10.2, "mg/dL")),
        observation("6301-6", {"value": 1.8, "code": "{INR}", "system": UCUM}),
        observation("2160-0", quantity(1.0, "mg/dL")),
    ]
    subject = load(tmp_path, bundle(*sessions, *labs))
    assert [p.dates for p in subject.procedures] == [
        [dt.datetime(2026, 11, 17, 9, 0), dt.datetime(2026, 11, 19, 9, 0)]
    ]
    result = outcome("Patients with a MELD score \\> 30;", subject)
    assert result.status == "met" and "dialysis" in result.reason, result.reason


def test_research_subject_is_trial_participation(tmp_path: Path) -> None:
    subject_resource = {
        "resourceType": "ResearchSubject",
        "status": "on-study",
        "individual": {"reference": "Patient/p1"},
        "study": {"identifier": {"value": "NCT01234567"}},
        "period": {"start": "2026-09-01"},
    }
    (found,) = load(tmp_path, bundle(subject_resource)).trial_participation
    assert (found.trial_id, found.start, found.ongoing) == (
        "NCT01234567",
        dt.date(2026, 9, 1),
        True,
    )


def test_allergies_and_other_resource_types_are_ignored_quietly(tmp_path: Path) -> None:
    allergy = {
        "resourceType": "AllergyIntolerance",
        "patient": {"reference": "Patient/p1"},
        "code": concept(SNOMED, "91936005", "Allergy to penicillin"),
    }
    encounter = {"resourceType": "Encounter", "status": "finished"}
    subject = load(tmp_path, bundle(allergy, encounter))
    assert subject.notes == [] and subject.conditions == []


# ---------------------------------------------------------------- lenient reading


MALFORMED: list[Json] = [
    observation("1975-2", {"value": "ten", "unit": "mg/dL"}),
    observation("1975-2", quantity(10.2, "mg/dL"), when="2026-11"),
    observation("1975-3", quantity(10.2, "mg/dL")),  # wrong LOINC check digit, no name
    observation("1975-2", None),
    observation("1975-2", quantity(10.2, "mg/dL"), status="registered"),
    {"resourceType": "Observation", "code": "1975-2", "valueQuantity": [1, 2]},
    condition(code="not a code"),
    condition("C22.0", clinical=None),
    {"resourceType": "Condition", "code": {"coding": "C22.0"}, "onsetDateTime": 2019},
    {"resourceType": "Condition", "verificationStatus": "refuted", "code": {"text": "HIV"}},
    {"resourceType": "Procedure", "status": "completed"},
    {"resourceType": "MedicationStatement", "status": "sometimes"},
    {"resourceType": "ResearchSubject", "status": "on-study", "period": "2026"},
]


def test_malformed_resources_give_notes_not_exceptions(tmp_path: Path) -> None:
    odd_patient = patient_resource(gender=5, birthDate="19xx", extension={"url": BIRTH_SEX})
    subject = load(tmp_path, bundle(*MALFORMED, patient=odd_patient))
    assert subject.id == "p1" and subject.sex == "unknown" and subject.birth_date is None
    assert len(subject.notes) >= len(MALFORMED)
    assert all(note.split(":")[0] for note in subject.notes)
    # what could be read was read
    assert [c.status for c in subject.conditions] == ["present", "absent"]
    assert subject.conditions[1].name == "HIV"


def test_numbers_written_as_text_are_read_with_a_note(tmp_path: Path) -> None:
    lab = observation("1975-2", {"value": "10.2", "unit": "mg/dL", "code": "mg/dL"})
    subject = load(tmp_path, bundle(lab))
    assert subject.observations[0].value == 10.2
    assert any("a number written as text" in note for note in subject.notes)


def test_unknown_codes_are_kept_and_reported(tmp_path: Path) -> None:
    unknown_condition = condition("Q99.9")
    local_code = condition(text="funny feeling")
    local_code["code"] = {"coding": [{"system": "urn:local", "code": "X1"}], "text": "odd"}
    unknown_lab = observation("12345-5", quantity(1, "mg/dL"))
    subject = load(tmp_path, bundle(unknown_condition, local_code, unknown_lab))
    assert [c.code for c in subject.conditions] == ["Q99.9", None]
    assert [o.loinc for o in subject.observations] == ["12345-5"]
    assert any("Q99.9" in note and "kept" in note for note in subject.notes)
    assert any("urn:local|X1" in note for note in subject.notes)


def test_invalid_json_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"resourceType": "Bundle", "entry": [', encoding="utf-8")
    with pytest.raises(InputError, match="invalid JSON"):
        load_patient(path)


# ---------------------------------------------------------------- NDJSON folders


def write_ndjson(folder: Path, name: str, resources: list[Json], extra: str = "") -> None:
    lines = [json.dumps(resource) for resource in resources]
    (folder / name).write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")


def subject_of(resource: Json, pid: str) -> Json:
    return {**resource, "subject": {"reference": f"Patient/{pid}"}}


def test_ndjson_folder_with_two_patients(tmp_path: Path) -> None:
    write_ndjson(
        tmp_path,
        "Patient.ndjson",
        [
            patient_resource("a", gender="female", birthDate="1970-01-01"),
            patient_resource("b", gender="male", birthDate="1960"),
        ],
    )
    write_ndjson(
        tmp_path,
        "Condition.ndjson",
        [subject_of(condition("C22.0"), "a"), subject_of(condition("E03.9"), "b")],
    )
    write_ndjson(
        tmp_path,
        "Observation.ndjson",
        [subject_of(observation("1975-2", quantity(10.2, "mg/dL")), "b")],
    )
    (a, a_notes), (b, b_notes) = load_fhir_folder(tmp_path)
    assert (a.id, a.sex, [c.code for c in a.conditions], a.observations) == (
        "a",
        "female",
        ["C22.0"],
        [],
    )
    assert (b.id, b.sex, [c.code for c in b.conditions]) == ("b", "male", ["E03.9"])
    assert [o.loinc for o in b.observations] == ["1975-2"]
    assert a_notes == a.notes == [] and b_notes == []


def test_ndjson_problems_are_notes_of_every_patient(tmp_path: Path) -> None:
    write_ndjson(tmp_path, "Patient.ndjson", [patient_resource("a"), patient_resource("b")])
    orphan = condition("C22.0")
    orphan.pop("subject")
    write_ndjson(tmp_path, "Condition.ndjson", [orphan], extra="{not json\n")
    write_ndjson(
        tmp_path,
        "Observation.ndjson",
        [subject_of(observation("1975-2", quantity(1, "mg/dL")), "c")],
    )
    found = {patient.id: notes for patient, notes in load_fhir_folder(tmp_path)}
    assert set(found) == {"a", "b", "c"}
    for notes in found.values():
        assert any("line 2: not valid JSON" in note for note in notes)
        assert any("names no patient" in note for note in notes)
    assert any("no Patient resource" in note for note in found["c"])


def test_a_folder_must_exist_and_hold_ndjson(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"no \.ndjson files"):
        load_fhir_folder(tmp_path)
    with pytest.raises(InputError, match="not a folder"):
        load_fhir_folder(tmp_path / "missing")


# ---------------------------------------------------------------- refutation by code sets


class Entry:
    def __init__(self, code: str) -> None:
        self.name: str | None = None
        self.code: str | None = code
        self.status = "absent"


def absent(*codes: str) -> list[Entry]:
    return [Entry(code) for code in codes]


@pytest.mark.parametrize(
    ("concept_id", "codes", "ruled_out"),
    [
        ("hiv", ("B20", "Z21"), True),
        ("aids", ("B20", "Z21"), True),  # a narrower concept goes with it
        ("hiv", ("B20",), False),
        ("hiv", ("Z21", "O98.7", "B97.35"), False),
        # the carrier state is coded B18.1 / B18.2 (Z22.5- was deleted after FY2024; a
        # refuted Z22.51 or Z22.5 is unknown to ICD-10-CM 1.5.0 and refutes nothing)
        ("hepatitis_b", ("B16", "B18.0", "B18.1", "Z22.51"), True),
        ("hepatitis_b", ("B16", "B18.0", "B18.1"), True),
        ("hepatitis_b", ("B16", "B18", "Z22.5"), True),
        ("hepatitis_b", ("B16", "B18.1"), False),  # chronic B with delta agent not refuted
        ("hepatitis_b", ("B18.0", "B18.1", "Z22.51"), False),  # nor acute B
        ("chronic_hepatitis_b", ("B18", "Z22.51"), True),
        ("chronic_hepatitis_b", ("B18.1", "Z22.51"), False),
        ("hepatitis_c", ("B17.1", "B18.2", "Z22.52"), True),
        ("hepatitis_c", ("B17", "B18", "Z22.5"), True),
        ("hepatitis_c", ("B17.1", "B18.2"), True),  # the carrier state is B18.2
        ("hepatitis_c", ("B18.2", "Z22.52"), False),  # acute C not refuted
        ("hepatitis_c", ("B17.1", "Z22.52"), False),  # chronic C and carriers not refuted
        ("viral_hepatitis", ("B16", "B17", "B18", "Z22.5"), False),  # B15, B19 not refuted
    ],
)
def test_refuted_by_sets(concept_id: str, codes: tuple[str, ...], ruled_out: bool) -> None:
    entries = absent(*codes)
    found = concepts.match(concept_id, entries)
    assert found.known_absent is ruled_out
    if ruled_out:
        assert all(entry in entries for entry in found.absent)


def test_refuted_by_must_lie_inside_the_concept(tmp_path: Path) -> None:
    path = tmp_path / "vocabulary.yaml"
    item = {"id": "thing", "name": "Thing", "phrases": ["thing"], "icd10": ["A00"]}
    for refuted, message in ((["B00"], "lies outside"), (["A00-A09"], "not ranges")):
        data = {"concepts": [{**item, "refuted_by": refuted}]}
        path.write_text(json.dumps(data), encoding="utf-8")
        with pytest.raises(concepts.VocabularyError, match=message):
            concepts.load_vocabulary(path)
