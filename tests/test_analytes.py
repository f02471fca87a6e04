"""screener.analytes: the vocabulary of data/analytes.csv and analyte-aware conversion."""

from __future__ import annotations

import csv

import pytest
from hypothesis import given
from hypothesis import strategies as st

from screener import analytes, units
from screener.analytes import ANALYTES, Conversion, UnitProblem, by_loinc, by_name, convert
from screener.resources import data_path


def _rows() -> list[dict[str, str]]:
    with data_path("analytes.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(line for line in handle if not line.startswith("#")))


ROWS = _rows()
EXPECTED_IDS = {
    "total_bilirubin", "direct_bilirubin", "creatinine", "albumin", "inr", "prothrombin_time",
    "pta", "sodium", "potassium", "glucose", "hba1c", "hemoglobin", "platelets", "wbc", "anc",
    "alc", "alt", "ast", "alp", "ggt", "ldh", "crp", "il6", "procalcitonin", "lactate", "bun",
    "urea", "uric_acid", "cholesterol", "ldl", "hdl", "triglycerides", "calcium", "magnesium",
    "phosphate", "ammonia", "ferritin", "egfr", "creatinine_clearance", "lvef", "bmi", "afp",
    "tsh", "fsh", "amh", "estradiol", "body_weight", "body_height", "qtc", "qtcf", "qtcb",
    "aptt", "cd4_count", "hiv_viral_load", "hbv_viral_load", "hcv_viral_load", "lipase",
    "amylase", "hematocrit", "psa", "cea", "nt_probnp", "bnp",
}
# Mass/molar LOINC twins, clinical-reference.md §1.5 (miracum/loinc-conversion).
TWINS = [
    ("total_bilirubin", "1975-2", "14631-6"), ("direct_bilirubin", "1968-7", "14629-0"),
    ("creatinine", "2160-0", "14682-9"), ("glucose", "2345-7", "14749-6"),
    ("urea", "3091-6", "22664-7"), ("bun", "3094-0", "14937-7"),
    ("uric_acid", "3084-1", "14933-6"), ("cholesterol", "2093-3", "14647-2"),
    ("hdl", "2085-9", "14646-4"), ("ldl", "13457-7", "39469-2"),
    ("triglycerides", "2571-8", "14927-8"), ("calcium", "17861-6", "2000-8"),
    ("magnesium", "19123-9", "2601-3"), ("phosphate", "2777-1", "14879-1"),
    ("lactate", "14118-4", "2524-7"), ("ammonia", "22763-7", "16362-6"),
    ("ferritin", "2276-4", "14723-1"), ("estradiol", "2243-4", "14715-7"),
    ("hemoglobin", "718-7", "59260-0"), ("crp", "1988-5", "76485-2"),
]


def _ok(result: Conversion | UnitProblem) -> Conversion:
    assert isinstance(result, Conversion), result
    return result


def _problem(result: Conversion | UnitProblem) -> str:
    assert isinstance(result, UnitProblem), result
    return result.reason


# ---------------------------------------------------------------- vocabulary


def test_every_expected_analyte_is_present() -> None:
    assert set(ANALYTES) >= EXPECTED_IDS
    assert len(ANALYTES) == len(ROWS)


def test_only_inr_is_a_ratio() -> None:
    assert [a.id for a in ANALYTES.values() if a.ratio] == ["inr"]
    assert ANALYTES["inr"].canonical_unit == ""


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row["id"])
def test_csv_row_is_loaded_faithfully(row: dict[str, str]) -> None:
    analyte = ANALYTES[row["id"]]
    assert analyte.name == row["name"]
    assert analyte.synonyms == tuple(row["synonyms"].split("|"))
    assert analyte.loinc == tuple(row["loinc"].split("|"))
    assert analyte.factor == (float(row["factor"]) if row["factor"] else None)
    assert analyte.molar_mass == (float(row["molar_mass"]) if row["molar_mass"] else None)
    assert row["source"].strip()


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row["id"])
def test_every_name_and_synonym_resolves(row: dict[str, str]) -> None:
    for phrase in [row["id"], row["name"], *row["synonyms"].split("|")]:
        for variant in (phrase, phrase.upper(), phrase.lower(), f"  {phrase} "):
            found = by_name(variant)
            assert found is not None and found.id == row["id"], variant


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row["id"])
def test_every_loinc_resolves(row: dict[str, str]) -> None:
    for code in row["loinc"].split("|"):
        found = by_loinc(code)
        assert found is not None and found.id == row["id"], code


@pytest.mark.parametrize(("analyte_id", "mass_code", "molar_code"), TWINS)
def test_loinc_twins_name_one_analyte(analyte_id: str, mass_code: str, molar_code: str) -> None:
    assert by_loinc(mass_code) == by_loinc(molar_code) == ANALYTES[analyte_id]


def test_lookups_are_exact_not_fuzzy() -> None:
    assert by_name("total bili") is None
    assert by_name("bilirubin") == ANALYTES["total_bilirubin"]
    assert by_name("creatinine clearance") == ANALYTES["creatinine_clearance"]
    assert by_name("creatinine") == ANALYTES["creatinine"]
    assert by_loinc("3289-6") is None  # factor II activity, not PTA (§3.1)
    assert by_loinc("") is None
    assert by_loinc("8634-8") is None  # the uncorrected QT interval is no QTc
    assert by_name("birth weight") is None
    assert by_name("ideal body weight") is None


@pytest.mark.parametrize(("code", "analyte_id"), [
    ("29463-7", "body_weight"), ("8302-2", "body_height"),
    ("8636-3", "qtc"), ("76634-5", "qtcf"), ("76635-2", "qtcb"),
])
def test_body_and_ecg_loinc_codes(code: str, analyte_id: str) -> None:
    assert by_loinc(code) == ANALYTES[analyte_id]


def test_qtc_methods_are_three_analytes_that_never_stand_in_for_each_other() -> None:
    found = [by_name(name) for name in ("QTc", "QTcF", "QTcB")]
    assert found == [ANALYTES["qtc"], ANALYTES["qtcf"], ANALYTES["qtcb"]]
    for analyte_id in ("qtc", "qtcf", "qtcb"):
        others = {"qtc", "qtcf", "qtcb"} - {analyte_id}
        assert set(ANALYTES[analyte_id].distinct_from) == others
    kept_apart = {"qtc", "qtcf", "qtcb", "spo2", "oxygen_saturation"}
    assert all(not a.distinct_from for a in ANALYTES.values() if a.id not in kept_apart)


@pytest.mark.parametrize("analyte", list(ANALYTES.values()), ids=lambda a: a.id)
def test_units_of_the_table_are_canonical_and_parse(analyte: analytes.Analyte) -> None:
    if analyte.canonical_unit:
        assert units.canonical_unit_text(analyte.canonical_unit) == analyte.canonical_unit
    if analyte.conventional_unit:
        assert units.canonical_unit_text(analyte.conventional_unit) == analyte.conventional_unit


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row["id"])
def test_si_and_ucum_units_convert(row: dict[str, str]) -> None:
    """The reference's SI unit and UCUM codes (FHIR feeds) all reach the canonical unit."""
    columns = ["ucum_conventional"] if row["id"] == "hba1c" else [
        "si_unit", "ucum_si", "ucum_conventional"]
    for column in columns:
        _ok(convert(row["id"], 1.0, row[column]))


# ---------------------------------------------------------------- conversion


def test_bilirubin_uses_the_published_factor() -> None:
    assert _ok(convert("total_bilirubin", 10, "mg/dL")).value == 171.0  # not 171.04 (molar)
    result = _ok(convert("total_bilirubin", 10.2, "mg/dL"))
    assert result.value == 174.42
    assert result.unit == "umol/L"
    assert result.note == "10.2 mg/dL × 17.1 = 174.42 umol/L (published factor)"
    assert result.uncertainty == pytest.approx(0.855)


def test_factor_applies_after_a_pint_step() -> None:
    result = _ok(convert("total_bilirubin", 102, "mg/L"))
    assert result.value == 174.42
    assert "10.2 mg/dL" in result.note


@pytest.mark.parametrize(("analyte_id", "value", "unit", "expected", "canonical"), [
    ("creatinine", 1, "mg/dL", 88.4, "umol/L"),
    ("creatinine", 1.5, "mg/dl", 132.6, "umol/L"),
    ("albumin", 3.5, "g/dL", 35, "g/L"),
    ("platelets", 150, "10^3/µL", 150, "10^9/L"),
    ("platelets", 150_000, "/mm3", 150, "10^9/L"),
    ("platelets", 100, "x109/L", 100, "10^9/L"),
    ("anc", 1500, "cells/mm³", 1.5, "10^9/L"),
    ("glucose", 100, "mg/dL", 5.55, "mmol/L"),
    ("glucose", 126, "mg/dL", 6.993, "mmol/L"),
    ("glucose", 7, "mmol/L", 7, "mmol/L"),
    ("alt", 40, "U/L", 40, "U/L"),
    ("alt", 1, "ukat/L", 60, "U/L"),
    ("egfr", 1, "mL/s/1.73 m²", 60, "mL/min/1.73m2"),
    ("egfr", 45, "ml/min/1.73m2", 45, "mL/min/1.73m2"),
    ("creatinine_clearance", 60, "mL/min", 60, "mL/min"),
    ("tsh", 2.5, "µIU/mL", 2.5, "mIU/L"),
    ("fsh", 12, "mIU/mL", 12, "IU/L"),
    ("crp", 1.2, "mg/dL", 12, "mg/L"),
    ("il6", 7, "pg/mL", 7, "ng/L"),
    ("estradiol", 100, "pg/mL", 367.1, "pmol/L"),
    ("hemoglobin", 9, "g/dL", 90, "g/L"),
    ("prothrombin_time", 14.2, "sec", 14.2, "s"),
    ("bmi", 31, "kg/m²", 31, "kg/m2"),
    ("pta", 40, "%", 40, "%"),
    ("lvef", 55, "%", 55, "%"),
    ("hba1c", 7.5, "%", 7.5, "%"),
    ("hba1c_ifcc", 53, "mmol/mol", 53, "mmol/mol"),
    ("body_weight", 110, "lb", 49.8951607, "kg"),
    ("body_weight", 275, "pounds", 124.73790175, "kg"),
    ("body_weight", 154, "[lb_av]", 69.85322498, "kg"),
    ("body_weight", 2500, "g", 2.5, "kg"),
    ("body_weight", 40, "Kg", 40, "kg"),
    ("body_height", 1.76, "m", 176, "cm"),
    ("body_height", 70, "[in_i]", 177.8, "cm"),
    ("qtcf", 0.45, "s", 450, "ms"),
    ("qtcb", 470, "msec", 470, "ms"),
    ("qtc", 480, "milliseconds", 480, "ms"),
    ("aptt", 35, "sec", 35, "s"),
    ("cd4_count", 0.2, "10^9/L", 200, "cells/uL"),
    ("cd4_count", 350, "/mm3", 350, "cells/uL"),
    ("cd4_count", 440, "{Cells}/uL", 440, "cells/uL"),
    ("hiv_viral_load", 50, "{copies}/mL", 50, "copies/mL"),
    ("hiv_viral_load", 0.2, "copies/uL", 200, "copies/mL"),
    ("hbv_viral_load", 2, "kIU/mL", 2000, "IU/mL"),
    ("hbv_viral_load", 2000, "[IU]/mL", 2000, "IU/mL"),
    ("hcv_viral_load", 15, "IU/mL", 15, "IU/mL"),
    ("lipase", 1, "ukat/L", 60, "U/L"),
    ("amylase", 100, "IU/L", 100, "U/L"),
    ("hematocrit", 30, "%", 30, "%"),
    ("psa", 4, "ng/mL", 4, "ug/L"),
    ("cea", 5, "ng/mL", 5, "ug/L"),
    ("nt_probnp", 300, "pg/mL", 300, "ng/L"),
    ("bnp", 100, "pg/mL", 100, "ng/L"),
    ("ammonia", 150, "micromol/L", 150, "umol/L"),
])
def test_conversion_into_the_canonical_unit(analyte_id: str, value: float, unit: str,
                                            expected: float, canonical: str) -> None:
    result = _ok(convert(analyte_id, value, unit))
    assert result.value == pytest.approx(expected, rel=1e-9)
    assert result.unit == canonical == ANALYTES[analyte_id].canonical_unit


def test_glucose_round_trip_with_factor_0_0555() -> None:
    assert ANALYTES["glucose"].factor == 0.0555
    mmol = _ok(convert("glucose", 180, "mg/dL")).value
    assert mmol == pytest.approx(9.99)
    assert mmol / 0.0555 == pytest.approx(180)


@pytest.mark.parametrize("unit", [None, "", "  ", "1", "{INR}", "ratio", "INR"])
def test_inr_takes_a_bare_number(unit: str | None) -> None:
    result = _ok(convert("inr", 1.7, unit))
    assert (result.value, result.unit, result.note, result.uncertainty) == (1.7, "", "", 0.0)


@pytest.mark.parametrize("unit", ["%", "10^9/L", "s", "mmol/mol", "cells"])
def test_inr_refuses_units(unit: str) -> None:
    assert _problem(convert("inr", 1.7, unit)).startswith(f"'{unit}' is not a unit of INR")


@pytest.mark.parametrize("analyte_id", ["pta", "lvef", "hba1c"])
@pytest.mark.parametrize("unit", ["1", "ratio", "{INR}", "10^9/L", "mmol/mol", "cells"])
def test_percent_analytes_take_only_percent(analyte_id: str, unit: str) -> None:
    name = ANALYTES[analyte_id].name
    assert _problem(convert(analyte_id, 40, unit)) == f"'{unit}' is not a unit of {name}"


def test_ifcc_hba1c_refuses_percent() -> None:
    assert "is not a unit of" in _problem(convert("hba1c_ifcc", 7, "%"))


@pytest.mark.parametrize("unit", [None, "", " "])
def test_missing_unit(unit: str | None) -> None:
    assert _problem(convert("pta", 40, unit)) == "unit missing"
    assert _problem(convert("total_bilirubin", 1.2, unit)) == "unit missing"


def test_unit_of_another_quantity_names_the_analyte() -> None:
    assert _problem(convert("total_bilirubin", 1, "mg")) == "'mg' is not a unit of Total bilirubin"


@pytest.mark.parametrize(("analyte_id", "unit"), [
    ("body_weight", "cm"), ("body_weight", "kg/m2"), ("body_weight", "%"), ("body_weight", "ms"),
    ("body_height", "kg"), ("qtcf", "kg"), ("qtc", "%"), ("qtcb", "mmol/L"),
])
def test_body_and_ecg_values_refuse_another_kind_of_unit(analyte_id: str, unit: str) -> None:
    name = ANALYTES[analyte_id].name
    assert _problem(convert(analyte_id, 100, unit)) == f"'{unit}' is not a unit of {name}"


@pytest.mark.parametrize(("analyte_id", "unit"), [
    ("hbv_viral_load", "copies/mL"),  # copies per IU depends on the assay
    ("hcv_viral_load", "copies/mL"),
    ("hiv_viral_load", "IU/mL"),
    ("hiv_viral_load", "cells/mL"),  # copies are not cells
    ("cd4_count", "copies/uL"),
    ("cd4_count", "%"),  # the CD4 percentage is another test
    ("hematocrit", "L/L"),
])
def test_counts_and_loads_refuse_another_kind_of_unit(analyte_id: str, unit: str) -> None:
    assert "is not a unit of" in _problem(convert(analyte_id, 1, unit))


def test_unrecognised_unit() -> None:
    assert _problem(convert("total_bilirubin", 1, "mg/dk")) == "unrecognised unit 'mg/dk'"


def test_egfr_and_creatinine_clearance_do_not_mix() -> None:
    assert "is not a unit of eGFR" in _problem(convert("egfr", 60, "mL/min"))
    assert "is not a unit of Creatinine clearance" in _problem(
        convert("creatinine_clearance", 60, "mL/min/1.73 m²"))


def test_enzyme_iu_is_read_as_u_with_a_note() -> None:
    result = _ok(convert("alt", 40, "IU/L"))
    assert result.value == 40
    assert "IU read as the enzyme unit U" in result.note


def test_hormone_u_is_read_as_iu_with_a_note() -> None:
    result = _ok(convert("tsh", 2.5, "mU/L"))
    assert (result.value, result.unit) == (2.5, "mIU/L")
    assert "U read as international units" in result.note


def test_iu_is_not_converted_where_no_convention_exists() -> None:
    assert "is not a unit of Alpha-fetoprotein" in _problem(convert("afp", 10, "IU/mL"))
    assert "is not a unit of" in _problem(convert("creatinine", 1, "IU/L"))


def test_milliequivalents_need_the_valence() -> None:
    assert _ok(convert("sodium", 140, "mEq/L")).value == 140
    assert _ok(convert("potassium", 4.1, "meq/L")).value == 4.1
    assert _ok(convert("calcium", 5, "mEq/L")).value == 2.5  # divalent
    assert _ok(convert("magnesium", 2, "mEq/L")).value == 1
    assert "is not a unit of" in _problem(convert("glucose", 5, "mEq/L"))


def test_molar_mass_only_where_no_factor_applies() -> None:
    sodium = _ok(convert("sodium", 322, "mg/dL"))  # no published mg/dL factor for sodium
    assert sodium.value == pytest.approx(3220 / 22.99)
    assert "molar mass 22.99 g/mol" in sodium.note
    hemoglobin = _ok(convert("hemoglobin", 8.5, "mmol/L"))
    assert hemoglobin.value / 10 == pytest.approx(8.5 / 0.6206, rel=1e-3)
    assert "is not a unit of" in _problem(convert("albumin", 500, "umol/L"))  # no molar mass


def test_uncertainty_follows_the_reported_precision() -> None:
    assert _ok(convert("total_bilirubin", 10, "mg/dL")).uncertainty == pytest.approx(8.55)
    assert _ok(convert("total_bilirubin", 10.0, "mg/dL", decimals=1)).uncertainty == \
        pytest.approx(0.855)
    assert _ok(convert("total_bilirubin", 10.25, "mg/dL")).uncertainty == pytest.approx(0.0855)
    assert _ok(convert("albumin", 3.5, "g/dL")).uncertainty == pytest.approx(0.5)
    assert _ok(convert("anc", 1500, "/mm3", decimals=-2)).uncertainty == pytest.approx(0.05)


def test_no_conversion_means_no_note_and_no_uncertainty() -> None:
    result = _ok(convert("total_bilirubin", 34.2, "µmol/L"))
    assert (result.value, result.note, result.uncertainty) == (34.2, "", 0.0)
    same_number = _ok(convert("platelets", 150, "10^3/uL"))  # other unit, same number
    assert (same_number.value, same_number.uncertainty) == (150, 0.0)
    assert same_number.note == "150 10^3/uL = 150 10^9/L"


def test_bad_values_and_ids() -> None:
    assert "not a finite number" in _problem(convert("creatinine", float("nan"), "mg/dL"))
    assert "not a finite number" in _problem(convert("creatinine", float("inf"), "mg/dL"))
    with pytest.raises(KeyError):
        convert("no_such_analyte", 1, "mg/dL")


_WITH_FACTOR = [a for a in ANALYTES.values() if a.conventional_unit and a.factor is not None]
_VALUES = st.floats(min_value=0.001, max_value=100_000, allow_nan=False)


@pytest.mark.parametrize("analyte", _WITH_FACTOR, ids=lambda a: a.id)
@given(value=_VALUES)
def test_conventional_to_canonical_round_trip(analyte: analytes.Analyte, value: float) -> None:
    assert analyte.conventional_unit is not None and analyte.factor is not None
    result = _ok(convert(analyte.id, value, analyte.conventional_unit))
    assert result.value == pytest.approx(value * analyte.factor, rel=1e-9)
    assert result.value / analyte.factor == pytest.approx(value, rel=1e-9)
    again = _ok(convert(analyte.id, result.value, analyte.canonical_unit))
    assert (again.value, again.note, again.uncertainty) == (result.value, "", 0.0)


@pytest.mark.parametrize("analyte", list(ANALYTES.values()), ids=lambda a: a.id)
@given(value=_VALUES)
def test_canonical_unit_is_identity(analyte: analytes.Analyte, value: float) -> None:
    result = _ok(convert(analyte.id, value, analyte.canonical_unit or None))
    assert (result.value, result.unit, result.note, result.uncertainty) == (
        value, analyte.canonical_unit, "", 0.0)


@given(analyte_id=st.sampled_from(sorted(ANALYTES)), value=st.floats(),
       unit=st.text(max_size=20) | st.sampled_from(["mg/dL", "umol/L", "%", "10^9/L", "IU/L"]),
       decimals=st.none() | st.integers(-1000, 1000))
def test_convert_never_raises(analyte_id: str, value: float, unit: str,
                              decimals: int | None) -> None:
    result = convert(analyte_id, value, unit, decimals)
    assert isinstance(result, Conversion | UnitProblem)
