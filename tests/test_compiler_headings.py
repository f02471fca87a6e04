"""Headings defined by the labs after them: 'Adequate renal function (CrCl ≥ 60 mL/min)'."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from screener import rules as r
from screener.compiler import compile_criterion
from tests.helpers import canonical


@pytest.mark.parametrize(("text", "kind", "expected"), [
    ("Adequate bone marrow function (WBC>3x10^9/l; Hb>9g/dl; platelets >100x10^9/l)",
     "inclusion",
     "lab(wbc) > 3 10^9/L and lab(hemoglobin) > 9 g/dL and lab(platelets) > 100 10^9/L"),
    ("Known impaired renal function, as shown by creatinine clearance ≤25 mL/min", "exclusion",
     "lab(creatinine_clearance) <= 25 mL/min"),
    ("Impaired renal function as shown by CrCl < 30 mL/min", "exclusion",
     "lab(creatinine_clearance) < 30 mL/min"),
    ("Adequate hepatic and renal function: ALT≤2.5×ULN, AST≤2.5×ULN, creatinine≤1×ULN",
     "inclusion",
     "lab(alt) <= 2.5 xULN and lab(ast) <= 2.5 xULN and lab(creatinine) <= 1 xULN"),
    ("Normal hepatic function defined as total bilirubin ≤ 1.5 x ULN", "inclusion",
     "lab(total_bilirubin) <= 1.5 xULN"),
    ("Adequate organ function as defined by the following: ALT ≤ 3 x ULN; AST ≤ 3 x ULN",
     "inclusion", "lab(alt) <= 3 xULN and lab(ast) <= 3 xULN"),
    # a definition joined by "or" is an alternative
    ("Adequate renal function: CrCl ≥ 60 mL/min or creatinine ≤ 1.5 x ULN", "inclusion",
     "lab(creatinine_clearance) >= 60 mL/min or lab(creatinine) <= 1.5 xULN"),
    # among the exclusions, a bare list of abnormal values: any one excludes
    ("Abnormal liver function (total bilirubin>1.5×ULN, ALT>2.5×ULN)", "exclusion",
     "lab(total_bilirubin) > 1.5 xULN or lab(alt) > 2.5 xULN"),
    # two headings, each with its definition
    ("Adequate renal function (CrCl ≥ 60 mL/min), bone marrow function (ANC ≥ 1500/mm3)",
     "inclusion", "lab(creatinine_clearance) >= 60 mL/min and lab(anc) >= 1500 1/mm3"),
    # an item of the definition that does not compile stays a review leaf of the AND-list
    ("Adequate organ function as defined by a creatinine clearance > 50 ml/min, serum total "
     "bilirubin < 5 times the normal value, left ventricular ejection fraction > 40%",
     "inclusion",
     'lab(creatinine_clearance) > 50 mL/min and review("total bilirubin < 5 times the normal '
     'value") and lab(lvef) > 40 %'),
    ("Adequate renal function: CrCl ≥ 60 mL/min; NOTE: measured by Cockcroft-Gault",
     "inclusion",
     'lab(creatinine_clearance) >= 60 mL/min and review("NOTE: measured by Cockcroft-Gault")'),
    # a waiver after a labelled threshold (screener/compiler/alternatives.py): dialysis spares it
    ("Adequate renal function: CrCl ≥ 60 mL/min unless on dialysis", "inclusion",
     'lab(creatinine_clearance) >= 60 mL/min or review("unless on dialysis")'),
])
def test_defined_heading(text: str, kind: str, expected: str) -> None:
    assert canonical(text, kind) == expected


@pytest.mark.parametrize(("text", "kind"), [
    ("Adequate organ function", "inclusion"),                        # no definition
    ("Adequate organ function as defined below:", "inclusion"),
    ("Adequate renal function for patients with liver metastases: CrCl ≥ 60 mL/min",
     "inclusion"),
    ("Adequate renal function (CrCl ≥ 60 mL/min) for patients with liver metastases",
     "inclusion"),
    ("Adequate renal function within 14 days: CrCl ≥ 60 mL/min", "inclusion"),
    ("Adequate hepatic function defined as AST ≤ 3 × ULN and total bilirubin ≤ 1.5 × ULN "
     "(except patients with Gilbert's Syndrome, who can have total bilirubin < 3.0)", "inclusion"),
    # "any of the following": "any" is a filler word, the heading must not read it as "all"
    ("Adequate organ function as defined by any of the following: ALT ≤ 3 x ULN, AST ≤ 3 x ULN",
     "inclusion"),
    ("Adequate renal function (CrCl ≥ 60 mL/min). Note: unless on dialysis", "inclusion"),
    # negated headings are not read
    ("No impaired hepatic function defined as bilirubin > 1.5 x ULN", "inclusion"),
    ("Not adequate renal function: CrCl ≥ 60 mL/min", "exclusion"),
    # a verdict the thresholds contradict: the text means something the grammar cannot see
    ("Inadequate bone marrow function: must have ANC ≥ 1500/mm3", "exclusion"),
    ("Sufficient renal function defined by creatinine clearance≤2 x ULN", "inclusion"),
    # an adequate-function requirement filed among the exclusions
    ("Adequate bone marrow function (ANC ≥ 1500/mm3)", "exclusion"),
    # definitions that are not lab thresholds
    ("Adequate cardiac function (no cardiac disease, LVEF≥40%)", "inclusion"),
])
def test_left_to_review(text: str, kind: str) -> None:
    assert isinstance(compile_criterion(text, kind).rule, r.Review)


@pytest.mark.parametrize(("text", "kind", "expected"), [
    ("Severe renal impairment (Serum creatinine >3.0 mg/dl)", "exclusion",
     "lab(creatinine) > 3 mg/dL"),
    ("Severe renal insufficiency (glomerular filtration rate <30 mL/min/1.73m2)", "exclusion",
     "lab(egfr) < 30 mL/min/1.73m2"),
    ("moderate or severe hepatic impairment (total bilirubin > 3 x ULN)", "exclusion",
     "lab(total_bilirubin) > 3 xULN"),
    ("Renal dysfunction defined as creatinine > 2 mg/dL", "exclusion",
     "lab(creatinine) > 2 mg/dL"),
    ("Renal impairment (CrCl 30-59 mL/min)", "inclusion",
     "lab(creatinine_clearance) in [30, 59] mL/min"),
])
def test_an_impairment_named_by_a_noun_is_its_definition(
    text: str, kind: str, expected: str
) -> None:
    assert canonical(text, kind) == expected


@pytest.mark.parametrize("text", [
    "Severe renal impairment",  # no definition
    "Severe renal impairment (creatinine clearance > 30 mL/min)",  # the thresholds disagree
    "Renal impairment (CrCl < 30 mL/min) requiring dialysis",  # more than its definition
    "No renal impairment (CrCl < 30 mL/min)",
    "Severe hepatic dysfunction (Child-Pugh Class C)",  # not lab thresholds
])
def test_impairments_named_by_a_noun_that_stay_review(text: str) -> None:
    assert isinstance(compile_criterion(text, "exclusion").rule, r.Review)


def test_mixed_conjunctions_in_a_definition_follow_the_ambiguity_policy() -> None:
    text = ("Adequate organ function: ANC ≥ 1500/mm3 and platelets ≥ 100 x 10^9/L or "
            "hemoglobin ≥ 9 g/dL and AST ≤ 3 x ULN")
    assert isinstance(compile_criterion(text).rule, r.Review)
    three = "Adequate organ function: ANC ≥ 1500/mm3 and platelets ≥ 100 x 10^9/L or AST ≤ 3 x ULN"
    assert isinstance(compile_criterion(three).rule, r.Readings)


# thresholds on the adequate side, their exclusion counterparts, and the rules of both
ADEQUATE = [
    ("ANC ≥ 1500/mm3", "lab(anc) >= 1500 1/mm3"),
    ("platelets ≥ 100 x 10^9/L", "lab(platelets) >= 100 10^9/L"),
    ("hemoglobin ≥ 9 g/dL", "lab(hemoglobin) >= 9 g/dL"),
    ("total bilirubin ≤ 1.5 x ULN", "lab(total_bilirubin) <= 1.5 xULN"),
    ("AST ≤ 3 x ULN", "lab(ast) <= 3 xULN"),
    ("creatinine clearance ≥ 60 mL/min", "lab(creatinine_clearance) >= 60 mL/min"),
    ("creatinine ≤ 1.5 x ULN", "lab(creatinine) <= 1.5 xULN"),
]
IMPAIRED = [
    ("ANC < 1500/mm3", "lab(anc) < 1500 1/mm3"),
    ("platelets < 100 x 10^9/L", "lab(platelets) < 100 10^9/L"),
    ("total bilirubin > 1.5 x ULN", "lab(total_bilirubin) > 1.5 xULN"),
    ("creatinine clearance < 30 mL/min", "lab(creatinine_clearance) < 30 mL/min"),
]
ORGANS = st.lists(st.sampled_from(["bone marrow", "hepatic", "liver", "renal", "kidney", "organ",
                                   "haematological", "coagulation"]), min_size=1, max_size=3)
INTROS = [": ", " defined as ", ", as shown by ", " as defined by the following: ",
          " as evidenced by ", " defined by "]


def heading(verdict: str, organs: list[str]) -> str:
    named = organs[0] if len(organs) == 1 else ", ".join(organs[:-1]) + " and " + organs[-1]
    return f"{verdict} {named} function"


def definition(items: list[str], separator: str, intro: str | None) -> str:
    body = separator.join(items)
    return f" ({body})" if intro is None else intro + body


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(ADEQUATE), min_size=1, max_size=4, unique=True),
       st.sampled_from(["Adequate", "Normal", "Sufficient", ""]), ORGANS,
       st.sampled_from([*INTROS, None]), st.sampled_from(["; ", ", "]))
def test_an_adequate_heading_adds_nothing_to_its_definition(
    items: list[tuple[str, str]], verdict: str, organs: list[str], intro: str | None,
    separator: str,
) -> None:
    text = heading(verdict, organs).strip() + definition([t for t, _ in items], separator, intro)
    assert canonical(text) == " and ".join(rule for _, rule in items)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(IMPAIRED), min_size=1, max_size=3, unique=True),
       st.sampled_from(["Impaired", "Inadequate", "Abnormal"]), ORGANS,
       st.sampled_from([*INTROS, None]))
def test_an_impaired_heading_among_exclusions_is_any_of_its_values(
    items: list[tuple[str, str]], verdict: str, organs: list[str], intro: str | None,
) -> None:
    text = heading(verdict, organs) + definition([t for t, _ in items], "; ", intro)
    assert canonical(text, "exclusion") == " or ".join(rule for _, rule in items)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(ADEQUATE), min_size=1, max_size=3, unique=True),
       st.sampled_from(["Impaired", "Inadequate", "Abnormal"]), ORGANS,
       st.sampled_from([*INTROS, None]), st.sampled_from(["inclusion", "exclusion"]))
def test_a_verdict_its_thresholds_contradict_stays_review(
    items: list[tuple[str, str]], verdict: str, organs: list[str], intro: str | None, kind: str,
) -> None:
    text = heading(verdict, organs) + definition([t for t, _ in items], "; ", intro)
    assert isinstance(compile_criterion(text, kind).rule, r.Review)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(ADEQUATE), min_size=1, max_size=3, unique=True), ORGANS,
       st.sampled_from([*INTROS, None]),
       st.sampled_from(["for patients with cirrhosis", "within 14 days", "unless on dialysis",
                        "except in Gilbert's syndrome", "in cohort 2", "at the discretion of"]))
def test_a_heading_with_other_words_stays_review(
    items: list[tuple[str, str]], organs: list[str], intro: str | None, words: str,
) -> None:
    text = heading("Adequate", organs) + " " + words + definition(
        [t for t, _ in items], "; ", intro)
    assert isinstance(compile_criterion(text).rule, r.Review)
