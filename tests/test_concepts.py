"""The condition / drug-class vocabulary (screener/data/concepts.yaml) and patient matching."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict

from screener import concepts
from screener.concepts import (
    CONCEPTS,
    DRUG_CLASSES,
    CodePattern,
    VocabularyError,
    load_vocabulary,
    normalize_code,
    normalize_phrase,
)
from screener.resources import data_path


@dataclass(frozen=True)
class Entry:
    name: str | None = None
    code: str | None = None
    status: str = "present"


def present(name: str | None = None, code: str | None = None) -> Entry:
    return Entry(name, code, "present")


def absent(name: str | None = None, code: str | None = None) -> Entry:
    return Entry(name, code, "absent")


# ---------------------------------------------------------------- the shipped file

REQUIRED = {
    "malignancy", "ovarian_cancer", "cervical_cancer", "hsil", "sepsis", "septic_shock",
    "infection", "bacterial_infection", "hpv_infection", "cirrhosis", "decompensated_cirrhosis",
    "acute_liver_failure", "liver_failure", "hepatic_encephalopathy", "hepatitis_b",
    "hepatitis_c", "hiv", "diabetes", "hypertension", "heart_disease", "lung_disease",
    "blood_disease", "autoimmune_disease", "thyroid_dysfunction", "hypothyroidism",
    "hyperthyroidism", "schizophrenia", "psychiatric_disorder", "neuropsychiatric_disorder",
    "chronic_enteritis", "alcohol_use_disorder", "drug_use_disorder", "dic", "active_bleeding",
    "circulatory_failure", "heart_failure", "chronic_kidney_disease", "endometriosis",
    "primary_ovarian_insufficiency", "primary_amenorrhea", "turner_syndrome",
    "fragile_x_syndrome", "pelvic_inflammatory_disease", "organ_transplant",
    "transplant_bone_marrow", "transplant_lung", "transplant_liver", "transplant_pancreas",
    "transplant_small_intestine", "transplant_kidney", "transplant_heart",
}  # fmt: skip

ORGAN_WORDS = {
    "heart", "cardiac", "lung", "lungs", "pulmonary", "renal", "kidney", "kidneys", "liver",
    "hepatic", "brain", "blood", "bone", "bone marrow", "marrow", "skin", "cervix", "cervical",
    "ovary", "ovaries", "ovarian", "uterus", "pancreas", "pancreatic", "intestine", "intestinal",
    "bowel", "stomach", "thyroid", "colon", "breast", "prostate", "nervous", "immune",
}  # fmt: skip

GENERIC_WORDS = {
    "ca", "hep", "disease", "diseases", "disorder", "disorders", "syndrome", "tumor", "tumour",
    "tumors", "neoplasm", "failure", "insufficiency", "dysfunction", "positive", "lesion",
    "inflammation", "virus", "chronic", "acute", "history", "aids", "hbv", "hcv", "hpv", "sbp",
    "ckd", "hrs", "drug", "drugs", "therapy", "treatment", "hormone", "hormones",
}  # fmt: skip

# Abbreviations reviewed as unambiguous in criterion text; any other phrase this short fails.
REVIEWED_ABBREVIATIONS = {
    "dic", "hiv", "hiv+", "hcc", "pid", "poi", "pof", "chf", "aki", "ibd", "sle", "gdm",
    "copd", "esrd", "eskd", "esld", "aclf", "hsct", "hsil", "hgsil", "t1dm", "t2dm", "iddm",
    "niddm", "cin2", "cin3", "cin-2", "cin-3", "cin2+", "shock",
}  # fmt: skip


def all_phrases() -> list[str]:
    return [p for p, _ in concepts.phrases()] + [p for p, _ in concepts.drug_class_phrases()]


def test_shipped_vocabulary_is_valid() -> None:
    reloaded = load_vocabulary(data_path("concepts.yaml"))
    assert reloaded.concepts == CONCEPTS
    assert reloaded.drug_classes == DRUG_CLASSES


def test_required_concepts_are_there() -> None:
    assert set(CONCEPTS) >= REQUIRED
    assert "pregnancy" not in CONCEPTS  # a patient field of its own


def test_ids_and_phrases_are_normalised() -> None:
    for cid, concept in CONCEPTS.items():
        assert re.fullmatch(r"[a-z][a-z0-9_]*", cid)
        assert concept.phrases, cid
        for phrase in concept.phrases:
            assert phrase == normalize_phrase(phrase)


def test_no_phrase_is_a_bare_organ_word_or_generic() -> None:
    for phrase in all_phrases():
        assert phrase not in ORGAN_WORDS, phrase
        assert phrase not in GENERIC_WORDS, phrase


def test_short_phrases_are_reviewed_abbreviations() -> None:
    short = {phrase for phrase in all_phrases() if len(phrase) <= 5 and " " not in phrase}
    assert short <= REVIEWED_ABBREVIATIONS, short - REVIEWED_ABBREVIATIONS


# ---------------------------------------------------------------- codes of each concept


def _samples(pattern: CodePattern) -> list[str]:
    return [pattern.first, pattern.last] if pattern.is_range else [pattern.text]


def _excluded(cid: str, code: str) -> bool:
    return any(p.contains(normalize_code(code) or "") for p in CONCEPTS[cid].exclude)


SAMPLES = [
    (cid, code)
    for cid, concept in CONCEPTS.items()
    for pattern in concept.icd10
    for code in _samples(pattern)
    if not _excluded(cid, code)
]
HISTORY_SAMPLES = [
    (cid, pattern.text) for cid, concept in CONCEPTS.items() for pattern in concept.history_codes
]


@pytest.mark.parametrize(("cid", "code"), SAMPLES, ids=[f"{c}-{k}" for c, k in SAMPLES])
def test_every_listed_code_matches_its_concept(cid: str, code: str) -> None:
    found = concepts.code_concepts(code)
    assert cid in found
    assert concepts.ancestors(cid) <= found


@pytest.mark.parametrize(
    ("cid", "code"), HISTORY_SAMPLES, ids=[f"{c}-{k}" for c, k in HISTORY_SAMPLES]
)
def test_every_history_code_is_history_not_present(cid: str, code: str) -> None:
    assert concepts.is_history_code(code, cid)
    assert cid not in concepts.code_concepts(code)


def test_every_concept_has_a_code_or_is_known_by_name() -> None:
    by_name_only = {cid for cid, c in CONCEPTS.items() if not c.icd10 and not c.history_codes}
    # concepts whose codes all come from narrower concepts, or that have no code at all
    assert by_name_only == {
        "acute_on_chronic_liver_failure", "substance_use_disorder", "solid_organ_transplant",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("code", "cid", "expected"),
    [
        # neoplasms: in situ and benign are not malignancy
        ("D12.6", "malignancy", False),
        ("D05.1", "malignancy", False),
        ("D3A.00", "malignancy", False),
        ("D45", "malignancy", False),
        ("C22.0", "malignancy", True),
        ("C22.0", "hepatocellular_carcinoma", True),
        ("C22.1", "hepatocellular_carcinoma", False),
        ("C4A.9", "malignancy", True),
        ("C7A.00", "malignancy", True),
        ("C79.51", "malignancy", True),
        ("C92.00", "blood_disease", True),
        ("C53.9", "cervical_cancer", True),
        ("C56.1", "ovarian_cancer", True),
        ("C57.0", "ovarian_cancer", False),
        ("N87.0", "hsil", False),
        ("N87.1", "hsil", True),
        ("R87.613", "hsil", True),
        ("R87.612", "hsil", False),
        ("D06.9", "hsil", True),
        ("D06.9", "malignancy", False),
        # thyroid
        ("E03.9", "thyroid_dysfunction", True),
        ("E03.9", "hypothyroidism", True),
        ("E05.00", "hyperthyroidism", True),
        ("E06.3", "thyroid_dysfunction", False),
        ("E06.3", "autoimmune_disease", True),
        ("E07.81", "thyroid_dysfunction", False),
        # viruses
        ("B20", "hiv", True),
        ("Z21", "hiv", True),
        ("Z20.6", "hiv", False),
        ("R75", "hiv", False),
        ("B18.1", "hepatitis_b", True),
        ("B18.1", "chronic_hepatitis_b", True),
        ("B16.9", "chronic_hepatitis_b", False),
        ("Z22.51", "hepatitis_b", True),
        ("B18.1", "hepatitis_c", False),
        ("B18.2", "hepatitis_c", True),
        ("B18.1", "infection", False),
        ("B20", "infection", False),
        ("R87.810", "hpv_infection", True),
        ("A63.0", "hpv_infection", True),
        ("A63.0", "infection", False),
        ("B07.0", "hpv_infection", False),
        ("B07.0", "infection", False),
        # infection and sepsis
        ("A41.9", "sepsis", True),
        ("A41.9", "infection", True),
        ("A41.9", "bacterial_infection", False),
        ("A41.01", "bacterial_infection", True),
        ("A15.0", "tuberculosis", True),
        ("J18.9", "infection", True),
        ("K65.2", "spontaneous_bacterial_peritonitis", True),
        ("K65.2", "infection", True),
        ("R65.21", "septic_shock", True),
        ("R65.21", "sepsis", True),
        ("R65.21", "circulatory_failure", True),
        ("R65.20", "septic_shock", False),
        ("R65.11", "sepsis", False),
        ("T81.12XA", "septic_shock", True),
        ("N73.9", "pelvic_inflammatory_disease", True),
        ("N76.0", "pelvic_inflammatory_disease", False),
        # liver
        ("K72.00", "acute_liver_failure", True),
        ("K72.10", "acute_liver_failure", False),
        ("K72.10", "liver_failure", True),
        ("K74.60", "cirrhosis", True),
        ("K74.00", "cirrhosis", False),
        ("K74.3", "cirrhosis", False),
        ("K70.31", "decompensated_cirrhosis", True),
        ("K70.30", "decompensated_cirrhosis", False),
        ("K70.30", "cirrhosis", True),
        ("K76.82", "hepatic_encephalopathy", True),
        ("K72.91", "hepatic_encephalopathy", True),
        ("K72.90", "hepatic_encephalopathy", False),
        ("K76.82", "neuropsychiatric_disorder", False),
        ("K76.6", "portal_hypertension", True),
        ("K76.6", "hypertension", False),
        # blood and bleeding
        ("D65", "dic", True),
        ("D65", "blood_disease", True),
        ("P60", "dic", True),
        ("D68.51", "bleeding_disorder", False),
        ("D68.4", "bleeding_disorder", True),
        ("I85.11", "variceal_bleeding", True),
        ("I85.11", "active_bleeding", True),
        ("I85.10", "active_bleeding", False),
        ("K92.2", "gastrointestinal_bleeding", True),
        ("R31.1", "active_bleeding", False),
        # circulation, lungs, kidneys
        ("R57.0", "circulatory_failure", True),
        ("R57.0", "cardiogenic_shock", True),
        ("I50.9", "heart_failure", True),
        ("I50.9", "cardiovascular_disease", True),
        ("I10", "hypertension", True),
        ("I27.0", "hypertension", False),
        ("I81", "cardiovascular_disease", False),
        ("J44.9", "lung_disease", True),
        ("J96.01", "lung_disease", False),
        ("J96.01", "respiratory_failure", True),
        ("N18.6", "end_stage_renal_disease", True),
        ("N18.6", "chronic_kidney_disease", True),
        ("N17.9", "chronic_kidney_disease", False),
        ("N17.9", "renal_failure", True),
        ("E11.22", "chronic_kidney_disease", True),
        ("N21.0", "kidney_disease", False),
        ("K76.7", "kidney_disease", True),
        # endocrine
        ("E11.9", "type_2_diabetes", True),
        ("E11.9", "diabetes", True),
        ("E10.9", "autoimmune_disease", True),
        ("O24.410", "diabetes", True),
        ("E23.2", "diabetes", False),
        ("R73.03", "diabetes", False),
        # mind and nervous system
        ("F20.9", "schizophrenia", True),
        ("F20.9", "psychiatric_disorder", True),
        ("F20.9", "neuropsychiatric_disorder", True),
        ("F25.0", "schizophrenia", False),
        ("F64.0", "psychiatric_disorder", False),
        ("F10.20", "psychiatric_disorder", False),
        ("G30.9", "neuropsychiatric_disorder", True),
        ("G43.909", "neurological_disorder", False),
        ("F10.20", "alcohol_use_disorder", True),
        ("F10.11", "alcohol_use_disorder", False),
        ("F10.920", "alcohol_use_disorder", False),
        ("F11.20", "drug_use_disorder", True),
        ("F11.20", "substance_use_disorder", True),
        ("F17.210", "drug_use_disorder", False),
        # bowel and reproduction
        ("K50.90", "chronic_enteritis", True),
        ("K51.90", "autoimmune_disease", True),
        ("A09", "chronic_enteritis", False),
        ("N80.00", "endometriosis", True),
        ("E28.310", "primary_ovarian_insufficiency", True),
        ("E28.2", "primary_ovarian_insufficiency", False),
        ("N91.0", "primary_amenorrhea", True),
        ("N91.1", "primary_amenorrhea", False),
        ("Q96.0", "turner_syndrome", True),
        ("Q99.2", "fragile_x_syndrome", True),
        # transplant status is history, not a present code
        ("Z94.4", "transplant_liver", False),
    ],
)
def test_code_membership(code: str, cid: str, expected: bool) -> None:
    assert (cid in concepts.code_concepts(code)) is expected


def test_codes_are_read_dotted_undotted_any_case() -> None:
    expected = concepts.code_concepts("K72.01")
    assert expected
    for spelling in ("K7201", "k72.01", " k7201 "):
        assert concepts.code_concepts(spelling) == expected
    assert normalize_code("r65.21") == "R6521"


@pytest.mark.parametrize("code", ["", "K7", "12345", "K72..0", "K.720", "K72.", "K72.01234", "KK2"])
def test_malformed_codes_match_nothing(code: str) -> None:
    assert normalize_code(code) is None
    assert concepts.code_concepts(code) == set()
    assert concepts.history_concepts(code) == set()


_CHARS = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"


@given(
    letter=st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
    digits=st.text(alphabet="0123456789", min_size=2, max_size=2),
    tail=st.text(alphabet=_CHARS, max_size=4),
)
def test_code_concepts_closed_under_ancestors(letter: str, digits: str, tail: str) -> None:
    undotted = letter + digits + tail
    found = concepts.code_concepts(undotted)
    for cid in found:
        assert concepts.ancestors(cid) <= found
    dotted = f"{undotted[:3]}.{undotted[3:]}" if tail else undotted
    assert concepts.code_concepts(dotted.lower()) == found


def test_concepts_inside_another_are_under_it() -> None:
    """When every code of C is a code of P, C must be under P (names then agree with codes)."""
    for cid, concept in CONCEPTS.items():
        samples = [c for p in concept.icd10 for c in _samples(p) if not _excluded(cid, c)]
        if not samples:
            continue
        for pid, parent in CONCEPTS.items():
            if pid != cid and all(parent.has_code(code) for code in samples):
                assert pid in concepts.ancestors(cid), f"{cid} lies inside {pid}"


# ---------------------------------------------------------------- history codes


def test_history_codes() -> None:
    assert concepts.is_history_code("Z94.4", "transplant_liver")
    assert not concepts.is_history_code("Z94.4", "transplant_kidney")
    assert concepts.is_history_code("Z94.4", "organ_transplant")
    assert concepts.is_history_code("Z944", "solid_organ_transplant")
    assert concepts.is_history_code("Z94.0", "transplant_kidney")
    assert concepts.is_history_code("Z94.3", "transplant_heart")
    assert concepts.is_history_code("Z94.3", "transplant_lung")
    assert concepts.is_history_code("Z94.81", "transplant_bone_marrow")
    assert not concepts.is_history_code("Z94.81", "solid_organ_transplant")
    assert concepts.is_history_code("Z85.3", "malignancy")
    assert concepts.is_history_code("Z85.43", "ovarian_cancer")
    assert not concepts.is_history_code("Z85.3", "ovarian_cancer")
    assert concepts.is_history_code("F10.21", "alcohol_use_disorder")
    assert not concepts.is_history_code("Z21", "hiv")
    assert concepts.history_concepts("Z94.4") == {
        "transplant_liver", "solid_organ_transplant", "organ_transplant",
    }  # fmt: skip


# ---------------------------------------------------------------- phrases


@pytest.mark.parametrize(
    ("text", "cid"),
    [
        ("Malignancies", "malignancy"),
        ("malignant tumours", "malignancy"),
        ("malignant tumor", "malignancy"),
        ("cancers", "malignancy"),
        ("Diffuse  intravascular   coagulation", "dic"),
        ("disseminated intravascular coagulation", "dic"),
        ("DIC", "dic"),
        ("liver transplantation", "transplant_liver"),
        ("Bone marrow transplant", "transplant_bone_marrow"),
        ("HSCT", "transplant_bone_marrow"),
        ("alcoholism", "alcohol_use_disorder"),
        ("drug abuse", "drug_use_disorder"),
        ("shock", "circulatory_failure"),
        ("circulatory failure", "circulatory_failure"),
        ("haemorrhage", "active_bleeding"),
        ("active bleeding", "active_bleeding"),
        ("bacteria infection", "bacterial_infection"),
        ("heart diseases", "heart_disease"),
        ("lung diseases", "lung_disease"),
        ("blood diseases", "blood_disease"),
        ("autoimmune diseases", "autoimmune_disease"),
        ("psychiatric disease", "psychiatric_disorder"),
        ("mental diseases", "psychiatric_disorder"),
        ("neuropsychiatric disorders", "neuropsychiatric_disorder"),
        ("diabetes insipidus", "diabetes_insipidus"),
        ("portal hypertension", "portal_hypertension"),
        ("high-grade squamous intraepithelial lesion", "hsil"),
        ("primary ovarian insufficiency", "primary_ovarian_insufficiency"),
        ("thyroid dysfunction", "thyroid_dysfunction"),
        ("chronic enteritis", "chronic_enteritis"),
        ("decompensated liver cirrhosis", "decompensated_cirrhosis"),
        ("hepatitis B", "hepatitis_b"),
        ("HIV+", "hiv"),
        ("HPV infection", "hpv_infection"),
        ("septic shock", "septic_shock"),
        ("Turner syndrome", "turner_syndrome"),
        ("fragile X syndrome", "fragile_x_syndrome"),
        ("pelvic inflammation", "pelvic_inflammatory_disease"),
    ],
)
def test_by_phrase(text: str, cid: str) -> None:
    concept = concepts.by_phrase(text)
    assert concept is not None and concept.id == cid


@pytest.mark.parametrize("text", ["heart", "renal", "tumor", "hbv", "ca", "aids", "cancer of", ""])
def test_by_phrase_rejects(text: str) -> None:
    assert concepts.by_phrase(text) is None


def test_phrases_longest_first() -> None:
    pairs = concepts.phrases()
    lengths = [len(phrase) for phrase, _ in pairs]
    assert lengths == sorted(lengths, reverse=True)
    assert ("diffuse intravascular coagulation", "dic") in pairs
    assert {cid for _, cid in pairs} == set(CONCEPTS)
    assert len({phrase for phrase, _ in pairs}) == len(pairs)


# ---------------------------------------------------------------- hierarchy


def test_hierarchy() -> None:
    assert {"sepsis", "infection", "circulatory_failure"} <= concepts.ancestors("septic_shock")
    assert concepts.ancestors("hepatitis_b") == {"viral_hepatitis", "liver_disease"}
    assert "infection" not in concepts.ancestors("hiv")
    assert concepts.ancestors("decompensated_cirrhosis") == {"cirrhosis", "liver_disease"}
    assert concepts.descendants("sepsis") == {"septic_shock"}
    assert {"sepsis", "septic_shock", "bacterial_infection"} <= concepts.descendants("infection")
    assert "septic_shock" not in concepts.ancestors("septic_shock")
    organs = {"bone_marrow", "lung", "liver", "pancreas", "small_intestine", "kidney", "heart"}
    for organ in organs:
        assert "organ_transplant" in concepts.ancestors(f"transplant_{organ}")
    with pytest.raises(KeyError, match="unknown concept 'nope'"):
        concepts.ancestors("nope")


def test_entry_concepts() -> None:
    assert concepts.entry_concepts("sepsis", None) == {"sepsis", "infection"}
    assert concepts.entry_concepts(None, "K72.00") == {
        "acute_liver_failure", "liver_failure", "liver_disease",
    }  # fmt: skip
    assert concepts.entry_concepts("Septic shock", "A41.9") >= {"septic_shock", "sepsis"}
    assert concepts.entry_concepts(None, "Z94.4") >= {"transplant_liver", "organ_transplant"}
    assert concepts.entry_concepts("benign colon polyp", "D12.6") == set()


# ---------------------------------------------------------------- matching


def test_absent_parent_rules_out_child() -> None:
    entries = [absent("infection")]
    assert concepts.match("sepsis", entries).known_absent
    assert concepts.match("septic_shock", entries).known_absent
    assert concepts.match("infection", entries).known_absent


def test_absent_child_does_not_rule_out_parent() -> None:
    assert not concepts.match("infection", [absent("sepsis")]).known_absent
    assert not concepts.match("liver_failure", [absent("acute liver failure")]).known_absent


def test_absent_liver_disease_rules_out_its_family() -> None:
    entries = [absent("liver disease")]
    for cid in ("cirrhosis", "hepatic_encephalopathy", "hepatitis_b", "liver_cancer"):
        assert concepts.match(cid, entries).known_absent, cid
    assert not concepts.match("malignancy", entries).known_absent


def test_absent_code_rules_out_only_what_it_covers() -> None:
    assert concepts.match("ovarian_cancer", [absent(code="C56")]).known_absent
    assert concepts.match("schizophrenia", [absent(code="F20")]).known_absent
    # narrower than the concept: sepsis has other codes, HIV is also Z21
    assert not concepts.match("sepsis", [absent(code="A41.9")]).known_absent
    assert not concepts.match("hiv", [absent(code="B20")]).known_absent
    assert not concepts.match("hepatitis_b", [absent(code="B18.1")]).known_absent
    # no personal history of malignant neoplasm at all
    assert concepts.match("malignancy", [absent(code="Z85")]).known_absent
    assert concepts.match("ovarian_cancer", [absent(code="Z85")]).known_absent
    assert not concepts.match("malignancy", [absent(code="Z85.3")]).known_absent


def test_present_never_implies_absent() -> None:
    entries = [present(code="D12.6"), present("hypothyroidism")]
    malignancy = concepts.match("malignancy", entries)
    assert not malignancy.known_absent and not malignancy.present
    hyper = concepts.match("hyperthyroidism", entries)
    assert not hyper.known_absent and not hyper.present
    assert concepts.match("thyroid_dysfunction", entries).present == (entries[1],)


def test_statuses_go_to_their_buckets() -> None:
    entries = [
        present(code="C22.0"),
        Entry("sepsis", None, "suspected"),
        Entry("cervical cancer", None, "resolved"),
        absent("infection"),
    ]
    malignancy = concepts.match("malignancy", entries)
    assert malignancy.present == (entries[0],)
    assert malignancy.resolved == (entries[2],)
    assert malignancy.suspected == () and malignancy.absent == ()
    sepsis = concepts.match("sepsis", entries)
    assert sepsis.suspected == (entries[1],)
    assert sepsis.absent == (entries[3],) and sepsis.known_absent
    assert concepts.match("hepatocellular_carcinoma", entries).present == (entries[0],)


def test_history_codes_count_as_resolved() -> None:
    z85 = present(code="Z85.3")
    named = Entry("cancer", "Z85.3", "present")
    transplant = present(code="Z94.4")
    remission = present(code="F10.21")
    entries = [z85, named, transplant, remission]
    malignancy = concepts.match("malignancy", entries)
    assert malignancy.resolved == (z85, named) and not malignancy.present
    assert concepts.match("transplant_liver", entries).resolved == (transplant,)
    assert concepts.match("organ_transplant", entries).resolved == (transplant,)
    kidney = concepts.match("transplant_kidney", entries)
    assert not (kidney.present or kidney.resolved or kidney.absent)
    assert concepts.match("alcohol_use_disorder", entries).resolved == (remission,)
    # a suspected history says nothing definite
    assert concepts.match("malignancy", [Entry(None, "Z85.3", "suspected")]).resolved == ()


def test_transplant_by_name_keeps_its_status() -> None:
    entry = present("liver transplantation")
    assert concepts.match("transplant_liver", [entry]).present == (entry,)
    assert concepts.match("organ_transplant", [entry]).present == (entry,)


class Status(StrEnum):
    PRESENT = "present"
    ABSENT = "absent"


class Model(BaseModel):
    model_config = ConfigDict(frozen=True)
    name: str | None = None
    code: str | None = None
    system: str | None = None
    status: str = "present"


def test_patient_like_entries() -> None:
    assert concepts.match("hiv", [Entry(None, "Z21", Status.PRESENT)]).present
    assert concepts.match("hiv", [Model(code="B20", system="icd10cm")]).present
    # a code of another system is never read as ICD-10-CM
    assert not concepts.match("liver_failure", [Model(code="K72.0", system="snomed")]).present


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="status 'maybe'"):
        concepts.match("hiv", [Entry("hiv", None, "maybe")])
    with pytest.raises(KeyError, match="unknown concept"):
        concepts.match("no_such_concept", [])


# ---------------------------------------------------------------- drug classes


@pytest.mark.parametrize(
    ("text", "class_id"),
    [
        ("antiviral drugs", "antiviral"),
        ("Antiviral therapy", "antiviral"),
        ("immunosuppressants", "immunosuppressant"),
        ("immunomodulators", "immunomodulator"),
        ("steroid hormones", "steroid"),
        ("corticosteroids", "steroid"),
        ("nucleos(t)ide analogues", "nucleoside_analogue"),
        ("inhaled corticosteroids", "local_corticosteroid"),
        ("anabolic steroids", "anabolic_steroid"),
    ],
)
def test_drug_class_by_phrase(text: str, class_id: str) -> None:
    found = concepts.drug_class_by_phrase(text)
    assert found is not None and found.id == class_id


def test_drug_class_phrases() -> None:
    pairs = concepts.drug_class_phrases()
    lengths = [len(phrase) for phrase, _ in pairs]
    assert lengths == sorted(lengths, reverse=True)
    assert {cid for _, cid in pairs} == set(DRUG_CLASSES)
    assert concepts.drug_class_by_phrase("anticoagulants") is None


@pytest.mark.parametrize(
    ("name", "drug_class", "atc", "expected"),
    [
        ("Entecavir 0.5 mg tablet", None, None, {"nucleoside_analogue", "antiviral"}),
        ("Tenofovir alafenamide", None, None, {"nucleoside_analogue", "antiviral"}),
        ("sofosbuvir/velpatasvir", None, None, {"antiviral"}),
        ("Baraclude", None, None, {"nucleoside_analogue", "antiviral"}),
        ("Tacrolimus", None, None, {"immunosuppressant"}),
        ("mycophenolate mofetil", None, None, {"immunosuppressant"}),
        ("peginterferon alfa-2a", None, None, {"immunomodulator"}),
        ("thymosin alpha 1", None, None, {"immunomodulator"}),
        ("Prednisone 20 mg", None, None, {"steroid"}),
        ("methylprednisolone", None, None, {"steroid"}),
        ("hydrocortisone cream 1%", None, None, {"local_corticosteroid"}),
        ("fluticasone inhaler", None, None, {"local_corticosteroid"}),
        ("tacrolimus ointment", None, None, set()),
        ("paracetamol", None, None, set()),
        (None, None, "L04AD02", {"immunosuppressant"}),
        (None, None, "J05AF10", {"nucleoside_analogue", "antiviral"}),
        (None, None, "h02ab07", {"steroid"}),
        ("hydrocortisone", None, "D07AA02", {"local_corticosteroid"}),
        ("Tacrolimus", None, "42316", {"immunosuppressant"}),  # not an ATC code: name decides
        ("Baraclude", "Antiviral", None, {"nucleoside_analogue", "antiviral"}),
        (None, "Immunosuppressants", None, {"immunosuppressant"}),
        (None, "steroid", None, {"steroid"}),
        (None, "anticoagulant", None, set()),
    ],
)
def test_medication_classes(
    name: str | None, drug_class: str | None, atc: str | None, expected: set[str]
) -> None:
    assert concepts.medication_classes(name, drug_class, atc) == expected


# ---------------------------------------------------------------- validation of the file


def _concept(cid: str, **fields: Any) -> dict[str, Any]:
    return {"id": cid, "name": cid, "phrases": [cid.replace("_", " ")], "icd10": [], **fields}


def _write(tmp_path: Path, concepts_: list[dict[str, Any]], **extra: Any) -> Path:
    path = tmp_path / "vocab.yaml"
    path.write_text(yaml.safe_dump({"concepts": concepts_, **extra}), encoding="utf-8")
    return path


def test_small_vocabulary_loads(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        [
            _concept("parent_thing", icd10=["A00-A09"]),
            _concept("child_thing", broader=["parent_thing"]),
        ],
    )
    vocabulary = load_vocabulary(path)
    assert vocabulary.ancestors("child_thing") == {"parent_thing"}
    assert vocabulary.code_concepts("A05.1") == {"parent_thing"}


A = "concepts[0] (a_thing)"
B = "concepts[1] (b_thing)"
INVALID: list[tuple[list[dict[str, Any]], str, str]] = [
    ([_concept("a_thing", broader=["nope"])], f"{A}.broader", "unknown concept 'nope'"),
    ([_concept("a_thing", broader=["a_thing"])], f"{A}.broader", "names itself"),
    (
        [_concept("a_thing", broader=["b_thing"]), _concept("b_thing", broader=["a_thing"])],
        "concepts",
        "cycle",
    ),
    (
        [_concept("a_thing", phrases=["thing"]), _concept("b_thing", phrases=["thing"])],
        f"{B}.phrases",
        "already belongs to concept a_thing",
    ),
    ([_concept("a_thing", phrases=["Thing"])], f"{A}.phrases", "lower-case"),
    ([_concept("a_thing", phrases=[True])], f"{A}.phrases", "not a string"),
    ([_concept("a_thing", icd10=["K7.2"])], f"{A}.icd10", "malformed"),
    ([_concept("a_thing", icd10=["k72.0"])], f"{A}.icd10", "malformed"),
    ([_concept("a_thing", icd10=["C96-C00"])], f"{A}.icd10", "backwards"),
    ([_concept("a_thing", icd10=["C00-C96.1"])], f"{A}.icd10", "range"),
    (
        [_concept("a_thing", icd10=["F10"], history_codes=["F10.21"])],
        f"{A}.history_codes",
        "also a present code",
    ),
    ([_concept("a_thing", icd10=["F10"], exclude=["F11"])], f"{A}.exclude", "outside"),
    ([_concept("a_thing", brodaer=["x"])], "concepts[0]", "unknown field 'brodaer'"),
    ([_concept("A-thing")], "concepts[0].id", "snake_case"),
    (
        [_concept("a_thing"), _concept("a_thing", phrases=["other"])],
        "concepts[1] (a_thing)",
        "duplicate",
    ),
    ([{"id": "a_thing", "name": "x", "phrases": ["x"]}], A, "icd10"),
]


@pytest.mark.parametrize(("items", "field", "message"), INVALID)
def test_invalid_vocabularies(
    tmp_path: Path, items: list[dict[str, Any]], field: str, message: str
) -> None:
    with pytest.raises(VocabularyError) as caught:
        load_vocabulary(_write(tmp_path, items))
    assert caught.value.field == field
    assert message in caught.value.message
    assert str(caught.value).startswith("vocab.yaml: ")


def test_invalid_drug_classes(tmp_path: Path) -> None:
    item = {"id": "pills", "name": "Pills", "phrases": ["pills"], "members": ["aspirin"]}
    cases = [
        ([item, {**item, "id": "more_pills", "phrases": ["more pills"]}], "already a member"),
        ([{**item, "local_form": "nope"}], "unknown drug class 'nope'"),
        ([{**item, "atc": ["J05A1"]}], "malformed ATC code"),
        ([{**item, "phrases": ["a thing"]}], "already belongs to concept a_thing"),
    ]
    for classes, message in cases:
        path = _write(tmp_path, [_concept("a_thing")], drug_classes=classes)
        with pytest.raises(VocabularyError, match=re.escape(message)):
            load_vocabulary(path)


def test_invalid_yaml(tmp_path: Path) -> None:
    path = tmp_path / "vocab.yaml"
    path.write_text("concepts: [\n", encoding="utf-8")
    with pytest.raises(VocabularyError, match="not valid YAML"):
        load_vocabulary(path)
    path.write_text("- just a list\n", encoding="utf-8")
    with pytest.raises(VocabularyError, match="must be a mapping"):
        load_vocabulary(path)
