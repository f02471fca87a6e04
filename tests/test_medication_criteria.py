"""Medication criteria: the drug classes of ATC groups, class nouns, lists, subgroups.

The classes are matched against patient medications by ATC code and by member name; both
must agree for every member named here (the codes are those of the WHO ATC/DDD Index).
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from screener import concepts
from screener import rules as r
from screener.compiler import compile_criterion
from tests.helpers import canonical, outcome, patient

# (INN, its ATC code, the most specific class): named or coded, the drug is in the class.
MEMBERS_BY_CODE = [
    ("quetiapine", "N05AH04", "antipsychotic"),
    ("aripiprazole", "N05AX12", "antipsychotic"),
    ("haloperidol", "N05AD01", "antipsychotic"),
    ("sertraline", "N06AB06", "antidepressant"),
    ("amitriptyline", "N06AA09", "antidepressant"),
    ("venlafaxine", "N06AX16", "antidepressant"),
    ("lorazepam", "N05BA06", "benzodiazepine"),
    ("midazolam", "N05CD08", "benzodiazepine"),
    ("levetiracetam", "N03AX14", "antiepileptic"),
    ("valproic acid", "N03AG01", "antiepileptic"),
    ("oxycodone", "N02AA05", "opioid_analgesic"),
    ("tramadol", "N02AX02", "opioid_analgesic"),
    ("ibuprofen", "M01AE01", "nsaid"),
    ("celecoxib", "M01AH01", "nsaid"),
    ("nabumetone", "M01AX01", "nsaid"),
    ("atorvastatin", "C10AA05", "statin"),
    ("insulin glargine", "A10AE04", "insulin"),
    ("semaglutide", "A10BJ06", "glp1_receptor_agonist"),
    ("tirzepatide", "A10BX16", "glp1_receptor_agonist"),
    ("sitagliptin", "A10BH01", "dpp4_inhibitor"),
    ("empagliflozin", "A10BK03", "sglt2_inhibitor"),
    ("gliclazide", "A10BB09", "sulfonylurea"),
    ("glibenclamide", "A10BB01", "glibenclamide"),
    ("metformin", "A10BA02", "metformin"),
    ("nicorandil", "C01DX16", "nicorandil"),
    ("pembrolizumab", "L01FF02", "pd1_inhibitor"),
    ("atezolizumab", "L01FF05", "pdl1_inhibitor"),
    ("osimertinib", "L01EB04", "egfr_tki"),
    ("imatinib", "L01EA01", "bcr_abl_tki"),
    ("alectinib", "L01ED03", "alk_inhibitor"),
    ("ibrutinib", "L01EL01", "btk_inhibitor"),
    ("palbociclib", "L01EF01", "cdk46_inhibitor"),
    ("olaparib", "L01XK01", "parp_inhibitor"),
    ("letrozole", "L02BG04", "aromatase_inhibitor"),
    ("rituximab", "L01FA01", "anti_cd20"),
    ("adalimumab", "L04AB04", "tnf_inhibitor"),
    ("blinatumomab", "L01FX07", "blinatumomab"),
    ("venetoclax", "L01XX52", "venetoclax"),
    # narrower classes and single agents named by criteria
    ("acenocoumarol", "B01AA07", "vitamin_k_antagonist"),
    ("warfarin", "B01AA03", "warfarin"),
    ("doxorubicin", "L01DB01", "anthracycline"),
    ("idarubicin", "L01DB06", "anthracycline"),
    ("cyclophosphamide", "L01AA01", "cyclophosphamide"),
    ("azacitidine", "L01BC07", "azacitidine"),
    ("docetaxel", "L01CD02", "docetaxel"),
    ("rituximab", "L01FA01", "rituximab"),
    ("trametinib", "L01EE01", "trametinib"),
    ("vedolizumab", "L04AG05", "vedolizumab"),
    ("oseltamivir", "J05AH02", "oseltamivir"),
    ("telithromycin", "J01FA15", "telithromycin"),
    ("sulfasalazine", "A07EC01", "sulfasalazine"),
    ("botulinum toxin type A", "M03AX01", "botulinum_toxin"),
    ("hydroxychloroquine", "P01BA02", "antimalarial"),
    ("mefloquine", "P01BC02", "antimalarial"),
    # classes registry criteria name often
    ("caspofungin", "J02AX04", "antifungal"),
    ("terbinafine", "D01BA02", "antifungal"),
    ("fluconazole", "J02AC01", "azole_antifungal"),
    ("voriconazole", "J02AC03", "azole_antifungal"),
    ("ketoconazole", "J02AB02", "azole_antifungal"),
    ("efavirenz", "J05AG03", "antiretroviral"),
    ("dolutegravir", "J05AJ03", "antiretroviral"),
    ("darunavir", "J05AE10", "antiretroviral"),
    ("abacavir", "J05AF06", "antiretroviral"),
    ("maraviroc", "J05AX09", "antiretroviral"),
    ("omeprazole", "A02BC01", "proton_pump_inhibitor"),
    ("pantoprazole", "A02BC02", "proton_pump_inhibitor"),
    ("famotidine", "A02BA03", "h2_receptor_antagonist"),
    ("metoprolol", "C07AB02", "beta_blocker"),
    ("carvedilol", "C07AG02", "beta_blocker"),
    ("hydrochlorothiazide", "C03AA03", "diuretic"),
    ("spironolactone", "C03DA01", "diuretic"),
    ("furosemide", "C03CA01", "loop_diuretic"),
    ("cetirizine", "R06AE07", "antihistamine"),
    ("diphenhydramine", "R06AA02", "antihistamine"),
    ("darbepoetin alfa", "B03XA02", "erythropoiesis_stimulating_agent"),
    ("epoetin alfa", "B03XA01", "erythropoiesis_stimulating_agent"),
    ("filgrastim", "L03AA02", "g_csf"),
    ("pegfilgrastim", "L03AA13", "g_csf"),
    ("sargramostim", "L03AA09", "gm_csf"),
    ("voclosporin", "L04AD03", "calcineurin_inhibitor"),
    # single agents registry criteria name (codes of the WHO ATC/DDD index, 2026-04-25)
    ("tacrolimus", "L04AD02", "tacrolimus"),
    ("ciclosporin", "L04AD01", "ciclosporin"),
    ("sirolimus", "L04AH01", "sirolimus"),
    ("everolimus", "L04AH02", "everolimus"),
    ("mycophenolate", "L04AA06", "mycophenolate"),
    ("azathioprine", "L04AX01", "azathioprine"),
    ("methotrexate", "L04AX03", "methotrexate"),
    ("leflunomide", "L04AK01", "leflunomide"),
    ("thalidomide", "L04AX02", "thalidomide"),
    ("lenalidomide", "L04AX04", "lenalidomide"),
    ("prednisone", "H02AB07", "prednisone"),
    ("prednisolone", "H02AB06", "prednisolone"),
    ("methylprednisolone", "H02AB04", "methylprednisolone"),
    ("dexamethasone", "H02AB02", "dexamethasone"),
    ("hydrocortisone", "H02AB09", "hydrocortisone"),
    ("fludrocortisone", "H02AA02", "fludrocortisone"),
    ("cytarabine", "L01BC01", "cytarabine"),
    ("decitabine", "L01BC08", "decitabine"),
    ("gemcitabine", "L01BC05", "gemcitabine"),
    ("fludarabine", "L01BB05", "fludarabine"),
    ("capecitabine", "L01BC06", "capecitabine"),
    ("paclitaxel", "L01CD01", "paclitaxel"),
    ("etoposide", "L01CB01", "etoposide"),
    ("mitomycin", "L01DC03", "mitomycin"),
    ("cisplatin", "L01XA01", "cisplatin"),
    ("carboplatin", "L01XA02", "carboplatin"),
    ("oxaliplatin", "L01XA03", "oxaliplatin"),
    ("doxorubicin", "L01DB01", "doxorubicin"),
    ("hydroxyurea", "L01XX05", "hydroxyurea"),
    ("osimertinib", "L01EB04", "osimertinib"),
    ("erlotinib", "L01EB02", "erlotinib"),
    ("gefitinib", "L01EB01", "gefitinib"),
    ("afatinib", "L01EB03", "afatinib"),
    ("firmonertinib", "L01EB12", "firmonertinib"),
    ("alectinib", "L01ED03", "alectinib"),
    ("brigatinib", "L01ED04", "brigatinib"),
    ("imatinib", "L01EA01", "imatinib"),
    ("dasatinib", "L01EA02", "dasatinib"),
    ("ibrutinib", "L01EL01", "ibrutinib"),
    ("acalabrutinib", "L01EL02", "acalabrutinib"),
    ("olaparib", "L01XK01", "olaparib"),
    ("lenvatinib", "L01EX08", "lenvatinib"),
    ("ruxolitinib", "L01EJ01", "ruxolitinib"),
    ("nivolumab", "L01FF01", "nivolumab"),
    ("pembrolizumab", "L01FF02", "pembrolizumab"),
    ("atezolizumab", "L01FF05", "atezolizumab"),
    ("durvalumab", "L01FF03", "durvalumab"),
    ("avelumab", "L01FF04", "avelumab"),
    ("ipilimumab", "L01FX04", "ipilimumab"),
    ("bevacizumab", "L01FG01", "bevacizumab"),
    ("cetuximab", "L01FE01", "cetuximab"),
    ("daratumumab", "L01FC01", "daratumumab"),
    ("gemtuzumab", "L01FX02", "gemtuzumab_ozogamicin"),
    ("inotuzumab", "L01FB01", "inotuzumab_ozogamicin"),
    ("tamoxifen", "L02BA01", "tamoxifen"),
    ("aspirin", "B01AC06", "aspirin"),
    ("clopidogrel", "B01AC04", "clopidogrel"),
    ("ketoconazole", "J02AB02", "ketoconazole"),
    ("fluconazole", "J02AC01", "fluconazole"),
    ("itraconazole", "J02AC02", "itraconazole"),
    ("voriconazole", "J02AC03", "voriconazole"),
    ("posaconazole", "J02AC04", "posaconazole"),
    ("clarithromycin", "J01FA09", "clarithromycin"),
    ("rifampicin", "J04AB02", "rifampicin"),
    ("phenytoin", "N03AB02", "phenytoin"),
    ("carbamazepine", "N03AF01", "carbamazepine"),
    ("amiodarone", "C01BD01", "amiodarone"),
    ("digoxin", "C01AA05", "digoxin"),
    ("hydroxychloroquine", "P01BA02", "hydroxychloroquine"),
    ("chloroquine", "P01BA01", "chloroquine"),
    ("emicizumab", "B02BX06", "emicizumab"),
    ("Rapamune", "L04AH01", "sirolimus"),
    ("cyclosporine", "L04AD01", "ciclosporin"),
    ("Tagrisso", "L01EB04", "osimertinib"),
    ("ketoconazole", "H02CA03", "ketoconazole"),  # for Cushing's syndrome: the same drug
]


@pytest.mark.parametrize(("name", "code", "class_id"), MEMBERS_BY_CODE)
def test_a_member_counts_by_name_and_by_code_alike(name: str, code: str, class_id: str) -> None:
    by_name = concepts.medication_classes(name)
    by_code = concepts.medication_classes(None, None, code)
    assert class_id in by_name
    assert by_name == by_code


@pytest.mark.parametrize(
    ("code", "class_id"),
    [
        ("A10BD07", "dpp4_inhibitor"),  # metformin and sitagliptin
        ("A10BD07", "metformin"),
        ("A10BD20", "sglt2_inhibitor"),  # metformin and empagliflozin
        ("A10BD02", "sulfonylurea"),  # metformin and sulfonylureas
        ("A10AE56", "insulin"),  # insulin degludec and liraglutide
        ("A10AE56", "glp1_receptor_agonist"),
        ("C10BA02", "statin"),  # simvastatin and ezetimibe
        ("A10BH51", "statin"),  # sitagliptin and simvastatin
        ("N02AJ08", "nsaid"),  # codeine and ibuprofen
        ("L01FY02", "pd1_inhibitor"),  # nivolumab and relatlimab
        ("N06CA01", "antidepressant"),  # amitriptyline and psycholeptics
        ("N03AE01", "benzodiazepine"),  # clonazepam
        ("N03AE01", "antiepileptic"),
        ("L04AG08", "immunosuppressant"),  # ocrelizumab
        ("L04AG08", "anti_cd20"),
        ("J05AR20", "antiretroviral"),  # emtricitabine, tenofovir alafenamide and bictegravir
        ("J05AR20", "antiviral"),
        ("C09BA02", "diuretic"),  # enalapril and diuretics
        ("C07BB07", "diuretic"),  # bisoprolol and thiazides
        ("C07BB07", "beta_blocker"),
        ("C03EB01", "loop_diuretic"),  # furosemide and potassium-sparing agents
        ("L03AA13", "colony_stimulating_factor"),  # pegfilgrastim
        ("L03AA13", "immunomodulator"),
        ("J02AC03", "antifungal"),  # voriconazole
    ],
)
def test_combination_and_shared_codes_count_in_each_class(code: str, class_id: str) -> None:
    assert class_id in concepts.medication_classes(None, None, code)


@pytest.mark.parametrize(
    ("name", "code", "class_id"),
    [
        ("lithium", "N05AN01", "antipsychotic"),  # N05A, but a mood stabiliser
        ("aspirin", "N02BA01", "nsaid"),  # criteria differ on it: left to a person
        ("glucosamine", "M01AX05", "nsaid"),  # M01AX, not an NSAID
        ("gabapentin", "N02BF01", "antiepileptic"),  # a gabapentinoid analgesic in ATC
        ("methadone", "N07BC02", "opioid_analgesic"),  # opioid dependence
        ("codeine", "R05DA04", "opioid_analgesic"),  # cough
        ("zolpidem", "N05CF02", "benzodiazepine"),  # a benzodiazepine-related drug
        ("cetuximab", "L01FE01", "egfr_tki"),  # an anti-EGFR antibody, not a TKI
        ("ipilimumab", "L01FX04", "pd1_pdl1_inhibitor"),  # CTLA-4
        ("ezetimibe", "C10AX09", "statin"),
        ("repaglinide", "A10BX02", "sulfonylurea"),
        ("everolimus", "L01EG02", "egfr_tki"),
        ("mitoxantrone", "L01DB07", "anthracycline"),  # an anthracenedione in L01DB
        ("pixantrone", "L01DB11", "anthracycline"),
        ("heparin", "B01AB01", "vitamin_k_antagonist"),
        ("obinutuzumab", "L01FA03", "rituximab"),  # the class, not the agent
        ("zanamivir", "J05AH01", "oseltamivir"),
        ("atovaquone", "P01AX06", "antimalarial"),  # alone, an antiprotozoal outside P01B
        ("doxycycline", "J01AA02", "antimalarial"),
        ("methotrexate", "L04AX03", "cyclophosphamide"),
        ("caspofungin", "J02AX04", "azole_antifungal"),  # an echinocandin
        ("entecavir", "J05AF10", "antiretroviral"),  # hepatitis B only
        ("nirmatrelvir and ritonavir", "J05AE30", "antiretroviral"),  # COVID-19
        ("tenofovir alafenamide", "J05AF13", "antiretroviral"),  # alone: hepatitis B
        ("vonoprazan", "A02BC08", "proton_pump_inhibitor"),  # an acid blocker, not a PPI
        ("famotidine", "A02BA03", "proton_pump_inhibitor"),
        ("famotidine", "A02BA03", "antihistamine"),  # H2, not what "antihistamines" mean
        ("hydroxyzine", "N05BB01", "antihistamine"),  # an anxiolytic in ATC
        ("acetazolamide", "S01EC01", "diuretic"),
        ("hydrochlorothiazide", "C03AA03", "loop_diuretic"),
        ("lisinopril", "C09AA03", "diuretic"),
        ("amlodipine", "C08CA01", "beta_blocker"),
        ("roxadustat", "B03XA05", "erythropoiesis_stimulating_agent"),  # a HIF-PH inhibitor
        ("luspatercept", "B03XA06", "erythropoiesis_stimulating_agent"),
        ("sargramostim", "L03AA09", "g_csf"),  # GM-CSF
        ("filgrastim", "L03AA02", "gm_csf"),
        ("romiplostim", "B02BX04", "colony_stimulating_factor"),  # a thrombopoietin agonist
        # H02 also holds mineralocorticoids and anticorticosteroids: no glucocorticoids
        ("fludrocortisone", "H02AA02", "steroid"),
        ("trilostane", "H02CA01", "steroid"),
        ("ketoconazole", "H02CA03", "steroid"),
        ("hydroxyurea", "L01XX05", "chemotherapy"),  # outside the cytotoxic groups
        ("trastuzumab deruxtecan", "L01FD04", "paclitaxel"),
        ("pimecrolimus", "D11AH02", "calcineurin_inhibitor"),  # topical
        ("tacrolimus ointment", "D11AH01", "calcineurin_inhibitor"),
        ("vonoprazan", "A02BC08", "proton_pump_inhibitor"),
    ],
)
def test_neighbours_of_a_class_stay_outside_it(name: str, code: str, class_id: str) -> None:
    assert class_id not in concepts.medication_classes(name)
    assert class_id not in concepts.medication_classes(None, None, code)


def test_a_local_form_of_a_member_is_not_systemic_use() -> None:
    assert "nsaid" not in concepts.medication_classes("diclofenac gel 1%")
    assert "nsaid" in concepts.medication_classes("diclofenac 50 mg tablet")


@pytest.mark.parametrize(
    ("local", "systemic", "class_id"),
    [
        ("ketoconazole 2% cream", "ketoconazole 200 mg tablet", "azole_antifungal"),
        ("terbinafine 1% cream", "terbinafine 250 mg tablet", "antifungal"),
        ("timolol 0.5% eye drops", "timolol 10 mg tablet", "beta_blocker"),
        ("ketotifen eye drops", "ketotifen 1 mg tablet", "antihistamine"),
        ("tacrolimus 0.1% ointment", "tacrolimus 1 mg capsule", "tacrolimus"),
        ("cyclosporine 0.05% eye drops", "cyclosporine 100 mg capsule", "ciclosporin"),
        ("ruxolitinib 1.5% cream", "ruxolitinib 5 mg tablet", "ruxolitinib"),
    ],
)
def test_a_local_form_counts_in_no_systemic_class(local: str, systemic: str, class_id: str) -> None:
    assert concepts.medication_classes(local) == set()
    assert class_id in concepts.medication_classes(systemic)
    assert concepts.medication_classes(None, None, "D01AC08") == set()  # ketoconazole, topical


@pytest.mark.parametrize("class_id", sorted({c for _, _, c in MEMBERS_BY_CODE}))
def test_a_class_cites_the_atc_groups_it_holds(class_id: str) -> None:
    """`source` names each ATC group of the class (a single code by its group or itself)."""
    drug_class = concepts.DRUG_CLASSES[class_id]
    assert drug_class.atc
    for code in drug_class.atc:
        assert code in drug_class.source or code[:5] in drug_class.source, code


# ---------------------------------------------------------------- criteria


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        # class nouns after a class: agents, medication(s), drugs, therapy
        ("Currently on immunosuppressant agents", "exclusion", "medication(immunosuppressant)"),
        # investigational agents other than the trial's own ("other" adds nothing: the class
        # never holds the trial's drug)
        (
            "Treatment with another investigational drug within the past 1 month",
            "exclusion",
            "medication(investigational_agent, within 1 months)",
        ),
        (
            "Currently receiving another investigational drug",
            "exclusion",
            "medication(investigational_agent)",
        ),
        (
            "Concurrent treatment with other investigational drugs",
            "exclusion",
            "medication(investigational_agent)",
        ),
        (
            "Treatment with investigational therapy within 28 days prior to initiation of study "
            "treatment",
            "exclusion",
            "medication(investigational_agent, within 28 days before first_dose)",
        ),
        (
            "Patients who are receiving any other investigational agents",
            "exclusion",
            "medication(investigational_agent)",
        ),
        (
            "Prior treatment with an investigational drug",
            "exclusion",
            "medication(investigational_agent, ever)",
        ),
        ("Receiving antipsychotic medication", "exclusion", "medication(antipsychotic)"),
        ("Currently taking antidepressant medications", "exclusion", "medication(antidepressant)"),
        ("Patients on statins", "inclusion", "medication(statin)"),
        ("Current use of NSAIDs", "exclusion", "medication(nsaid)"),
        ("Currently receiving insulin therapy", "exclusion", "medication(insulin)"),
        ("Previous treatment with blinatumomab", "exclusion", "medication(blinatumomab, ever)"),
        ("Prior treatment with an EGFR-TKI;", "exclusion", "medication(egfr_tki, ever)"),
        ("Prior EGFR TKI therapy.", "exclusion", "medication(egfr_tki, ever)"),
        ("Prior use of PD-1/L1 inhibitors", "exclusion", "medication(pd1_pdl1_inhibitor, ever)"),
        (
            "Use of benzodiazepines within 2 weeks prior to randomization",
            "exclusion",
            "medication(benzodiazepine, within 2 weeks before randomisation)",
        ),
        ("No NSAIDs within 7 days", "exclusion", "not medication(nsaid, within 7 days)"),
        ("Not on insulin", "inclusion", "not medication(insulin)"),
        # classes registry criteria name often
        ("Current use of azole antifungals", "exclusion", "medication(azole_antifungal)"),
        (
            "Receiving antifungal therapy",
            "exclusion",
            "medication(antifungal)",
        ),
        ("Currently on antiretroviral therapy", "exclusion", "medication(antiretroviral)"),
        (
            "Use of proton pump inhibitors (PPIs) within 7 days",
            "exclusion",
            "medication(proton_pump_inhibitor, within 7 days)",
        ),
        ("Current use of H2 blockers", "exclusion", "medication(h2_receptor_antagonist)"),
        (
            "Current use of beta-blockers or diuretics",
            "exclusion",
            "medication(beta_blocker) or medication(diuretic)",
        ),
        ("Patients on loop diuretics", "inclusion", "medication(loop_diuretic)"),
        (
            "Use of antihistamines within 1 week",
            "exclusion",
            "medication(antihistamine, within 1 weeks)",
        ),
        (
            "Treatment with erythropoiesis stimulating agents (ESAs) within 4 weeks",
            "exclusion",
            "medication(erythropoiesis_stimulating_agent, within 4 weeks)",
        ),
        (
            "Receipt of G-CSF within 14 days prior to enrollment",
            "exclusion",
            "medication(g_csf, within 14 days before enrolment)",
        ),
        (
            "Currently receiving granulocyte colony-stimulating factor or GM-CSF",
            "exclusion",
            "medication(g_csf) or medication(gm_csf)",
        ),
        (
            "Prior treatment with colony stimulating factors within 2 weeks",
            "exclusion",
            "medication(colony_stimulating_factor, within 2 weeks)",
        ),
        (
            "Currently receiving systemic immunosuppressive therapy",
            "exclusion",
            "medication(immunosuppressant)",
        ),
        # a list of classes after one verb: any of them
        (
            "Patients on glibenclamide or nicorandil",
            "exclusion",
            "medication(glibenclamide) or medication(nicorandil)",
        ),
        (
            "Prior treatment with PARP inhibitors or anti-PD-1 antibodies",
            "exclusion",
            "medication(parp_inhibitor, ever) or medication(pd1_inhibitor, ever)",
        ),
        # an item the grammar cannot read under the shared verb: all of it to a person
        (
            "Prior treatment with PARP inhibitors, platinum or anti-PD-1 antibodies",
            "exclusion",
            'review("Prior treatment with PARP inhibitors, platinum or anti-PD-1 antibodies")',
        ),
        (
            "Prior chemotherapy, steroids or antiviral therapy",
            "exclusion",
            "medication(chemotherapy, ever) or medication(steroid, ever) "
            "or medication(antiviral, ever)",
        ),
        (
            "No prior aromatase inhibitors or CDK4/6 inhibitors",
            "inclusion",
            "not (medication(aromatase_inhibitor, ever) or medication(cdk46_inhibitor, ever))",
        ),
        # a diagnosis with a medication: an inclusion binds those patients, an exclusion
        # excludes only them
        (
            "Hepatitis B patients on antiviral therapy",
            "inclusion",
            "implies(condition(hepatitis_b); medication(antiviral))",
        ),
        (
            "Hepatitis B patients on antiviral therapy",
            "exclusion",
            "condition(hepatitis_b) and medication(antiviral)",
        ),
        # prior or concurrent: any use before screening, current use included
        (
            "Prior or concurrent cyclophosphamide therapy",
            "exclusion",
            "medication(cyclophosphamide, ever)",
        ),
        ("Current or previous use of steroids", "exclusion", "medication(steroid, ever)"),
        ("Previous or ongoing chemotherapy", "exclusion", "medication(chemotherapy, ever)"),
        (
            "Prior or current use of NSAIDs within 2 weeks",
            "exclusion",
            "medication(nsaid, within 2 weeks)",
        ),
        ("No prior or concurrent chemotherapy", "inclusion", "not medication(chemotherapy, ever)"),
        # verbs of use and windows
        (
            "Patients who were treated with oseltamivir in the previous 6 months",
            "exclusion",
            "medication(oseltamivir, within 6 months)",
        ),
        (
            "Treatment with an anti TNF in the last 4 weeks.",
            "exclusion",
            "medication(tnf_inhibitor, within 4 weeks)",
        ),
        (
            "Receipt of antibiotics within 7 days prior to enrollment",
            "exclusion",
            "medication(antibacterial, within 7 days before enrolment)",
        ),
        (
            "Rituximab within 26 weeks prior to enrollment.",
            "exclusion",
            "medication(rituximab, within 26 weeks before enrolment)",
        ),
        (
            "Botulinum toxin treatment within 12 weeks of study enrollment",
            "exclusion",
            "medication(botulinum_toxin, within 12 weeks before enrolment)",
        ),
        (
            "Antimalarials taken within the last 2 weeks",
            "exclusion",
            "medication(antimalarial, within 2 weeks)",
        ),
        (
            "Chemotherapy administered within 4 weeks prior to randomization",
            "exclusion",
            "medication(chemotherapy, within 4 weeks before randomisation)",
        ),
        (
            "Patients who have used steroids within 2 weeks",
            "exclusion",
            "medication(steroid, within 2 weeks)",
        ),
        (
            "Have received prior chemotherapy within 4 weeks",
            "exclusion",
            "medication(chemotherapy, within 4 weeks)",
        ),
        ("Currently using insulin", "exclusion", "medication(insulin)"),
        ("Any prior treatment with anthracyclines", "exclusion", "medication(anthracycline, ever)"),
        (
            "have received prior treatment with vedolizumab.",
            "exclusion",
            "medication(vedolizumab, ever)",
        ),
        ("Previously treated with chemotherapy", "exclusion", "medication(chemotherapy, ever)"),
        # a class restated in parentheses
        (
            "Patients who have previously received any epidermal growth factor receptor "
            "tyrosine kinase inhibitor (EGFR-TKI) therapy.",
            "exclusion",
            "medication(egfr_tki, ever)",
        ),
        (
            "Current use of nonsteroidal anti-inflammatory drugs (NSAIDs)",
            "exclusion",
            "medication(nsaid)",
        ),
        # "A or other B" is A or B, whatever "other" leaves out of B
        (
            "Concurrent use of warfarin or another vitamin K antagonist",
            "exclusion",
            "medication(warfarin) or medication(vitamin_k_antagonist)",
        ),
        (
            "Currently on steroids or other immunosuppressants",
            "exclusion",
            "medication(steroid) or medication(immunosuppressant)",
        ),
        # single agents, by the names clinicians write
        ("Prior therapy with tacrolimus", "exclusion", "medication(tacrolimus, ever)"),
        ("Previous treatment with poziotinib", "exclusion", "medication(poziotinib, ever)"),
        ("Current use of rapamycin", "exclusion", "medication(sirolimus)"),
        ("Currently taking cyclosporine", "exclusion", "medication(ciclosporin)"),
        ("Prior osimertinib", "inclusion", "medication(osimertinib, ever)"),
        ("No prior gemcitabine", "inclusion", "not medication(gemcitabine, ever)"),
        (
            "Received bevacizumab within 4 weeks",
            "exclusion",
            "medication(bevacizumab, within 4 weeks)",
        ),
        (
            "Current use of corticosteroids or fludrocortisone",
            "exclusion",
            "medication(steroid) or medication(fludrocortisone)",
        ),
        (
            "Prior treatment with erlotinib, gefitinib or afatinib",
            "exclusion",
            "medication(erlotinib, ever) or medication(gefitinib, ever) "
            "or medication(afatinib, ever)",
        ),
    ],
)
def test_medication_criteria(text: str, kind: str, expected: str) -> None:
    assert canonical(text, kind) == expected


@pytest.mark.parametrize(
    "text",
    [
        # qualifiers of route, dose or duration narrow the class: a person reads them
        "Intravenous corticosteroids within 3 months prior to the first dose of study medication.",
        "High-dose steroids within 4 weeks",
        "Chronic treatment with antacids, estrogen, adrenal or anabolic steroids, anticonvulsants, "
        "anticoagulants, or pharmacologic doses of Vitamin D",
        "Use of atypical antipsychotics",
        "Prior treatment with 3rd-generation EGFR-TKIs",
        # no ATC group: hormonal agents (L02 or any hormone), TKIs as a whole, checkpoint
        # inhibitors, CYP3A4 inhibitors, opioids (N02A holds only the analgesics)
        "Prior therapy with hormonal agents",
        "≥ 3 days post Tyrosine Kinase Inhibitor (TKI) use",
        "Previous therapy with any checkpoint inhibitor",
        "Use of strong CYP3A4 inhibitors within 14 days",
        "Current use of opioids",
        # a window after a list may bound the last item or all of them
        "Steroids or NSAIDs within 4 weeks",
        # "use of X" alone does not say when
        "Use of anti-psychotic medication",
        # a route narrows the agent too
        "Intravenous cyclophosphamide within 6 months prior to the first dose of study medication.",
        # "prior or concurrent" is read for drugs only
        "Prior or concurrent malignancy",
        "Previously untreated hepatitis C",
        # a drug as part of a regimen, or a trial arm, is not the patient's use of it alone
        "Prior rituximab-containing therapy",
        "Prior rituximab and cyclophosphamide",
        "Arm B: docetaxel",
        "Patients randomised to docetaxel",
        # classes no ATC group states: growth factors (G-CSF, erythropoietin, ...), angiogenic
        # therapy (promoting or inhibiting angiogenesis?)
        "Receipt of growth factors within 7 days prior to enrollment",
        "Previous angiogenic therapy.",
        # another class in parentheses, or a qualifier other than "other", narrows the list
        "Use of steroids (immunosuppressants) within 4 weeks",
        "Prior chemotherapy or severe steroids",
        "Prior or concurrent chemotherapy, steroids within 4 weeks",
        # the trial's own drug, an investigational device, a time in half-lives, and
        # vaccinations stay with a person
        "Treatment with the investigational drug within the past 1 month",
        "Prior exposure to this investigational agent",
        "Use of an investigational device within 30 days",
        "Use of an investigational drug or device within 30 days",
        "Treatment with an investigational agent within 4 weeks or 5 half-lives, whichever is "
        "longer",
        "Participation in another clinical trial with an investigational drug within 30 days",
        "Vaccination within 4 weeks prior to the first dose of study medication.",
        # no ATC group: live vaccines, CYP3A4 or P-gp inhibitors, QT-prolonging drugs,
        # hormonal therapy, biologics, monoclonal antibodies, immunotherapy; "azoles",
        # "erythropoietic agents", "hematopoietic growth factors", "ART", "ARV" and a
        # combination regimen ("HAART") are no class phrases
        "Live vaccines within 4 weeks prior to enrollment.",
        "Has received a live vaccine within 30 days prior to first dose of study treatment",
        "Current use of strong CYP3A4 inhibitors",
        "Use of QT-prolonging drugs within 7 days",
        "Prior hormonal therapy within 4 weeks",
        "Prior biologic therapy within 12 weeks",
        "Treatment with monoclonal antibodies within 4 weeks",
        "Prior immunotherapy within 4 weeks",
        "Current use of azoles",
        "Use of erythropoietic agents within 4 weeks",
        "Receipt of hematopoietic growth factors within 14 days",
        "Currently on ART",
        "Current use of ARVs",
        "Currently on HAART",
        "Currently on combination antiretroviral therapy",
        # qualifiers narrow the class
        "Current use of non-selective beta blockers",
        "Current use of oral antihistamines within 1 week",
        # a local form, a formulation or a conjugate is narrower than the agent, or another drug
        "Current use of topical calcineurin inhibitors",
        "Prior nab-paclitaxel",
        "Prior liposomal doxorubicin",
        "Prior trastuzumab deruxtecan",
        "Positive interferon gamma release assay",
        "Allergy to aspirin",
        "Use of prednisone > 10 mg/day",
    ],
)
def test_unread_medication_criteria_stay_review(text: str) -> None:
    rule = compile_criterion(text, "exclusion").rule
    assert r.has_review(rule), rule.render()


_NEW_CLASS_CASES = [
    # (criterion, a member by name, its ATC code, a neighbour outside the class)
    ("Current use of azole antifungals", "voriconazole 200 mg", "J02AC03", "caspofungin"),
    ("Current use of antifungals", "micafungin", "J02AX05", "clotrimazole cream"),
    ("Currently on antiretroviral therapy", "Biktarvy", "J05AR20", "entecavir"),
    ("Current use of proton pump inhibitors", "esomeprazole 40 mg", "A02BC05", "famotidine"),
    ("Current use of H2 blockers", "ranitidine", "A02BA02", "omeprazole"),
    ("Currently taking beta blockers", "bisoprolol 5 mg", "C07AB07", "amlodipine"),
    ("Current use of diuretics", "furosemide 40 mg", "C03CA01", "acetazolamide"),
    ("Current use of loop diuretics", "bumetanide", "C03CA02", "hydrochlorothiazide"),
    ("Current use of antihistamines", "loratadine", "R06AX13", "hydroxyzine"),
    (
        "Current use of erythropoiesis-stimulating agents",
        "darbepoetin alfa",
        "B03XA02",
        "roxadustat",
    ),
    ("Current use of G-CSF", "pegfilgrastim", "L03AA13", "sargramostim"),
    ("Current use of colony-stimulating factors", "filgrastim", "L03AA02", "romiplostim"),
    # "corticosteroids" are the glucocorticoids: a mineralocorticoid is no member
    ("Current use of systemic corticosteroids", "prednisone 5 mg", "H02AB07", "fludrocortisone"),
    ("Currently on glucocorticoids", "dexamethasone", "H02AB02", "fludrocortisone 0.1 mg"),
    ("Current use of calcineurin inhibitors", "Prograf", "L04AD02", "sirolimus"),
    # single agents registry criteria name, each against another drug
    ("Current use of tacrolimus", "tacrolimus", "L04AD02", "ciclosporin"),
    ("Current use of cyclosporine", "Neoral 100 mg", "L04AD01", "tacrolimus"),
    ("Current use of rapamycin", "sirolimus 2 mg", "L04AH01", "everolimus"),
    ("Current use of everolimus", "everolimus", "L04AH02", "mycophenolate"),
    ("Current use of mycophenolate mofetil", "CellCept", "L04AA06", "azathioprine"),
    ("Current use of azathioprine", "azathioprine", "L04AX01", "mycophenolate"),
    ("Current use of methotrexate", "methotrexate", "L04AX03", "leflunomide"),
    ("Current use of leflunomide", "leflunomide", "L04AK01", "mycophenolate"),
    ("Current use of thalidomide", "thalidomide", "L04AX02", "mycophenolate"),
    ("Current use of lenalidomide", "lenalidomide", "L04AX04", "mycophenolate"),
    ("Current use of prednisone", "prednisone", "H02AB07", "prednisolone"),
    ("Current use of prednisolone", "prednisolone", "H02AB06", "prednisone"),
    ("Current use of methylprednisolone", "methylprednisolone", "H02AB04", "prednisone"),
    ("Current use of dexamethasone", "dexamethasone", "H02AB02", "prednisone"),
    ("Current use of hydrocortisone", "hydrocortisone", "H02AB09", "prednisone"),
    ("Current use of fludrocortisone", "fludrocortisone", "H02AA02", "cytarabine"),
    ("Current use of cytarabine", "cytarabine", "L01BC01", "decitabine"),
    ("Current use of decitabine", "decitabine", "L01BC08", "cytarabine"),
    ("Current use of gemcitabine", "gemcitabine", "L01BC05", "cytarabine"),
    ("Current use of fludarabine", "fludarabine", "L01BB05", "cytarabine"),
    ("Current use of capecitabine", "capecitabine", "L01BC06", "cytarabine"),
    ("Current use of paclitaxel", "paclitaxel", "L01CD01", "cytarabine"),
    ("Current use of etoposide", "etoposide", "L01CB01", "cytarabine"),
    ("Current use of mitomycin", "mitomycin", "L01DC03", "cytarabine"),
    ("Current use of cisplatin", "cisplatin", "L01XA01", "cytarabine"),
    ("Current use of carboplatin", "carboplatin", "L01XA02", "cytarabine"),
    ("Current use of oxaliplatin", "oxaliplatin", "L01XA03", "cytarabine"),
    ("Current use of doxorubicin", "doxorubicin", "L01DB01", "hydroxyurea"),
    ("Current use of hydroxyurea", "hydroxycarbamide 500 mg", "L01XX05", "osimertinib"),
    ("Current use of osimertinib", "osimertinib", "L01EB04", "erlotinib"),
    ("Current use of erlotinib", "erlotinib", "L01EB02", "osimertinib"),
    ("Current use of gefitinib", "gefitinib", "L01EB01", "osimertinib"),
    ("Current use of afatinib", "afatinib", "L01EB03", "osimertinib"),
    ("Current use of furmonertinib", "firmonertinib", "L01EB12", "osimertinib"),
    ("Current use of alectinib", "alectinib", "L01ED03", "brigatinib"),
    ("Current use of brigatinib", "brigatinib", "L01ED04", "alectinib"),
    ("Current use of imatinib", "imatinib", "L01EA01", "dasatinib"),
    ("Current use of dasatinib", "dasatinib", "L01EA02", "imatinib"),
    ("Current use of ibrutinib", "ibrutinib", "L01EL01", "acalabrutinib"),
    ("Current use of acalabrutinib", "acalabrutinib", "L01EL02", "ibrutinib"),
    ("Current use of olaparib", "olaparib", "L01XK01", "lenvatinib"),
    ("Current use of lenvatinib", "lenvatinib", "L01EX08", "ruxolitinib"),
    ("Current use of ruxolitinib", "ruxolitinib", "L01EJ01", "nivolumab"),
    ("Current use of nivolumab", "nivolumab", "L01FF01", "pembrolizumab"),
    ("Current use of pembrolizumab", "Keytruda", "L01FF02", "nivolumab"),
    ("Current use of atezolizumab", "atezolizumab", "L01FF05", "durvalumab"),
    ("Current use of durvalumab", "durvalumab", "L01FF03", "atezolizumab"),
    ("Current use of avelumab", "avelumab", "L01FF04", "atezolizumab"),
    ("Current use of ipilimumab", "ipilimumab", "L01FX04", "bevacizumab"),
    ("Current use of bevacizumab", "bevacizumab", "L01FG01", "cetuximab"),
    ("Current use of cetuximab", "cetuximab", "L01FE01", "daratumumab"),
    ("Current use of daratumumab", "daratumumab", "L01FC01", "gemtuzumab"),
    ("Current use of gemtuzumab", "gemtuzumab", "L01FX02", "inotuzumab"),
    ("Current use of inotuzumab", "inotuzumab", "L01FB01", "tamoxifen"),
    ("Current use of tamoxifen", "tamoxifen", "L02BA01", "aspirin"),
    ("Current use of aspirin", "acetylsalicylic acid 100 mg", "B01AC06", "clopidogrel"),
    ("Current use of clopidogrel", "clopidogrel", "B01AC04", "ketoconazole"),
    ("Current use of ketoconazole", "ketoconazole", "J02AB02", "fluconazole"),
    ("Current use of fluconazole", "fluconazole", "J02AC01", "ketoconazole"),
    ("Current use of itraconazole", "itraconazole", "J02AC02", "ketoconazole"),
    ("Current use of voriconazole", "voriconazole", "J02AC03", "ketoconazole"),
    ("Current use of posaconazole", "posaconazole", "J02AC04", "ketoconazole"),
    ("Current use of clarithromycin", "clarithromycin", "J01FA09", "rifampicin"),
    ("Current use of rifampin", "rifampicin", "J04AB02", "phenytoin"),
    ("Current use of phenytoin", "phenytoin", "N03AB02", "carbamazepine"),
    ("Current use of carbamazepine", "carbamazepine", "N03AF01", "phenytoin"),
    ("Current use of amiodarone", "amiodarone", "C01BD01", "digoxin"),
    ("Current use of digoxin", "digoxin", "C01AA05", "hydroxychloroquine"),
    ("Current use of hydroxychloroquine", "hydroxychloroquine", "P01BA02", "chloroquine"),
    ("Current use of chloroquine", "chloroquine", "P01BA01", "hydroxychloroquine"),
    ("Current use of emicizumab", "emicizumab", "B02BX06", "tacrolimus"),
]


@pytest.mark.parametrize("kind", ["inclusion", "exclusion"])
@pytest.mark.parametrize(("text", "member", "code", "neighbour"), _NEW_CLASS_CASES)
def test_a_new_class_is_met_by_a_member_only(
    text: str, member: str, code: str, neighbour: str, kind: str
) -> None:
    """Named or coded, a member meets the criterion; a neighbour outside the class, or no
    medication data, leaves it unknown (the list need not be complete)."""
    rule = compile_criterion(text, kind).rule
    assert not r.has_review(rule), rule.render()
    by_name = patient(medications=[{"name": member, "start": "2026-10-01"}])
    by_code = patient(medications=[{"code": code, "start": "2026-10-01"}])
    other = patient(medications=[{"name": neighbour, "start": "2026-10-01"}])
    assert outcome(text, by_name, kind).status.value == "met"
    assert outcome(text, by_code, kind).status.value == "met"
    assert outcome(text, other, kind).status.value == "unknown"
    assert outcome(text, patient(), kind).status.value == "unknown"


def test_a_combination_product_meets_both_classes_of_a_list() -> None:
    on_janumet = patient(medications=[{"name": "Janumet", "code": "A10BD07"}])
    result = outcome("Currently on DPP-4 inhibitors or metformin", on_janumet, "exclusion")
    assert result.status.value == "met"


# ---------------------------------------------------------------- recorded not taken


@pytest.mark.parametrize(
    ("entry", "text"),
    [
        ({"name": "adalimumab", "status": "absent"}, "Current use of TNF inhibitors"),
        ({"code": "L04AB04", "status": "absent"}, "Current use of TNF inhibitors"),
        ({"name": "tacrolimus", "status": "absent"}, "Currently on immunosuppressant agents"),
        # a narrower class not taken leaves the broader class open
        ({"drug_class": "TNF inhibitors", "status": "absent"}, "Currently on immunosuppressants"),
        ({"code": "L04AB", "status": "absent"}, "Currently on immunosuppressants"),
        ({"name": "glibenclamide", "status": "absent"}, "Patients on sulfonylureas"),
        ({"name": "fluconazole", "status": "absent"}, "Current use of azole antifungals"),
        ({"name": "omeprazole", "status": "absent"}, "Current use of proton pump inhibitors"),
        ({"code": "L03AA02", "status": "absent"}, "Current use of G-CSF"),
        # a narrower class not taken leaves the broader class open
        ({"drug_class": "loop diuretics", "status": "absent"}, "Current use of diuretics"),
        ({"drug_class": "azole antifungals", "status": "absent"}, "Current use of antifungals"),
    ],
)
def test_a_member_recorded_not_taken_leaves_its_class_open(
    entry: dict[str, str], text: str
) -> None:
    assert outcome(text, patient(medications=[entry]), "exclusion").status.value == "unknown"


@pytest.mark.parametrize(
    ("entry", "text"),
    [
        ({"drug_class": "TNF inhibitors", "status": "absent"}, "Current use of TNF inhibitors"),
        ({"name": "TNF inhibitors", "status": "absent"}, "Current use of TNF inhibitors"),
        ({"code": "L04AB", "status": "absent"}, "Current use of TNF inhibitors"),
        # a broader class not taken rules out its narrower classes
        ({"drug_class": "immunosuppressant", "status": "absent"}, "Current use of TNF inhibitors"),
        ({"code": "L04", "status": "absent"}, "Current use of TNF inhibitors"),
        # a single-agent class is ruled out by its drug
        ({"name": "glibenclamide", "status": "absent"}, "Patients on glibenclamide"),
        ({"code": "A10BB01", "status": "absent"}, "Patients on glibenclamide"),
        ({"name": "beta blockers", "status": "absent"}, "Currently taking beta blockers"),
        ({"code": "C07", "status": "absent"}, "Currently taking beta blockers"),
        ({"drug_class": "diuretics", "status": "absent"}, "Current use of loop diuretics"),
        ({"name": "antifungals", "status": "absent"}, "Current use of azole antifungals"),
    ],
)
def test_a_class_recorded_not_taken_is_not_taken(entry: dict[str, str], text: str) -> None:
    assert outcome(text, patient(medications=[entry]), "exclusion").status.value == "not_met"


def test_a_member_not_taken_does_not_hide_another_member_taken() -> None:
    subject = patient(
        medications=[
            {"name": "adalimumab", "status": "absent"},
            {"name": "infliximab", "start": "2026-01-01"},
        ]
    )
    assert outcome("Current use of TNF inhibitors", subject, "exclusion").status.value == "met"


# ---------------------------------------------------------------- investigational agents

_INVESTIGATIONAL = [
    "Currently receiving another investigational drug",
    "Treatment with another investigational drug within the past 1 month",
]


@pytest.mark.parametrize("text", _INVESTIGATIONAL)
@pytest.mark.parametrize(
    "entry",
    [
        {"drug_class": "investigational agent", "start": "2026-10-01"},
        {"drug_class": "investigational_agent", "start": "2026-10-01"},
        {"name": "ABC-123", "drug_class": "Investigational agent", "start": "2026-10-01"},
        {"name": "investigational drug", "start": "2026-10-01"},
    ],
)
def test_an_investigational_agent_is_read_from_its_recorded_class(
    entry: dict[str, str], text: str
) -> None:
    assert outcome(text, patient(medications=[entry]), "exclusion").status.value == "met"


@pytest.mark.parametrize("text", _INVESTIGATIONAL)
def test_no_investigational_agent_is_known_only_from_an_absent_entry(text: str) -> None:
    absent = patient(medications=[{"drug_class": "investigational agent", "status": "absent"}])
    assert outcome(text, absent, "exclusion").status.value == "not_met"
    # a drug with no class on file, and taking part in a drug trial, say nothing of it
    named = patient(medications=[{"name": "pembrolizumab", "start": "2026-10-01"}])
    assert outcome(text, named, "exclusion").status.value == "unknown"
    in_trial = patient(
        trial_participation=[
            {"trial_id": "NCT01234567", "intervention_type": "drug", "ongoing": True}
        ]
    )
    assert outcome(text, in_trial, "exclusion").status.value == "unknown"


def test_an_investigational_agent_not_taken_now_says_nothing_of_the_past() -> None:
    absent = patient(medications=[{"drug_class": "investigational agent", "status": "absent"}])
    text = "Prior treatment with an investigational drug"
    assert outcome(text, absent, "exclusion").status.value == "unknown"
    ended = patient(
        medications=[
            {"drug_class": "investigational agent", "start": "2025-01-01", "end": "2025-06-30"}
        ]
    )
    assert outcome(text, ended, "exclusion").status.value == "met"
    window = "Treatment with another investigational drug within the past 1 month"
    assert outcome(window, ended, "exclusion").status.value == "unknown"


# ---------------------------------------------------------------- any class, any window

_CLASS_PHRASES = concepts.drug_class_phrases()


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(_CLASS_PHRASES),
    st.sampled_from(
        ["Prior or concurrent", "Current or previous use of", "Previously treated with"]
    ),
)
def test_use_at_any_time_of_any_class(entry: tuple[str, str], opening: str) -> None:
    phrase, class_id = entry
    assert canonical(f"{opening} {phrase}", "exclusion") == f"medication({class_id}, ever)"


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(_CLASS_PHRASES),
    st.integers(1, 52),
    st.sampled_from(["days", "weeks", "months"]),
    st.sampled_from(["Treated with {} in the previous", "Receipt of {} within", "{} taken within"]),
)
def test_use_of_any_class_within_a_window(
    entry: tuple[str, str], amount: int, unit: str, template: str
) -> None:
    phrase, class_id = entry
    text = f"{template.format(phrase)} {amount} {unit}"
    assert canonical(text, "exclusion") == f"medication({class_id}, within {amount} {unit})"


def test_prior_or_concurrent_use_is_met_by_past_and_current_use_alike() -> None:
    text = "Prior or concurrent cyclophosphamide therapy"
    past = patient(
        medications=[{"name": "cyclophosphamide", "start": "2019-01-01", "end": "2019-03-01"}]
    )
    now = patient(medications=[{"code": "L01AA01", "start": "2026-11-01"}])
    other = patient(medications=[{"name": "ifosfamide", "start": "2026-11-01"}])
    denied = patient(medications=[{"name": "cyclophosphamide", "status": "absent"}])
    assert outcome(text, past, "exclusion").status.value == "met"
    assert outcome(text, now, "exclusion").status.value == "met"
    assert outcome(text, other, "exclusion").status.value == "unknown"
    assert outcome(text, denied, "exclusion").status.value == "unknown"  # not now, maybe before


def test_a_single_agent_counts_in_its_class_and_only_itself_in_its_own() -> None:
    on_rituximab = patient(medications=[{"name": "Rituximab-abbs", "start": "2026-10-01"}])
    on_obinutuzumab = patient(medications=[{"name": "obinutuzumab", "start": "2026-10-01"}])
    assert (
        outcome("Current use of anti-CD20 antibodies", on_rituximab, "exclusion").status.value
        == "met"
    )
    assert outcome("Currently on rituximab", on_rituximab, "exclusion").status.value == "met"
    assert outcome("Currently on rituximab", on_obinutuzumab, "exclusion").status.value == "unknown"


@pytest.mark.parametrize("kind", ["inclusion", "exclusion"])
@pytest.mark.parametrize(
    "text",
    [
        "LVEF ≥ 50 % for patients receiving anthracyclines",
        "LVEF ≥ 50 % for patients receiving chemotherapy",
        "Creatinine ≤ 1.5 mg/dL for patients receiving cyclophosphamide",
    ],
)
def test_a_subgroup_by_the_drugs_it_receives_may_be_a_study_arm(text: str, kind: str) -> None:
    """'for patients receiving X' after a threshold: X may be the study's treatment, which no
    patient takes yet; the threshold binds a subgroup a person names."""
    rule = compile_criterion(text, kind).rule
    assert not any(isinstance(leaf, r.Medication) for leaf in r.leaves(rule)), rule.render()
    assert r.has_review(rule)
