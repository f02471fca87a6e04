"""screener: compile clinical-trial eligibility criteria and pre-screen patients.

from screener import TrialLibrary, load_patient
library = TrialLibrary.load()
report = library.screen(load_patient("examples/liver_failure_patient.json"))
"""

from __future__ import annotations

__version__ = "0.1.0"

from screener.errors import InputError
from screener.library import CompiledTrial, TrialLibrary
from screener.logic import Status
from screener.patient import Patient, load_patient, patient_from_dict
from screener.reference_ranges import ReferenceRanges, load_reference_ranges
from screener.results import ScreeningReport, TrialResult, Verdict

__all__ = [
    "CompiledTrial",
    "InputError",
    "Patient",
    "ReferenceRanges",
    "ScreeningReport",
    "Status",
    "TrialLibrary",
    "TrialResult",
    "Verdict",
    "__version__",
    "load_patient",
    "load_reference_ranges",
    "patient_from_dict",
]
