"""Build screener/data/icd_titles.tsv: condition phrases generated from ICD-10-CM titles.

    python scripts/build_icd_vocabulary.py            # write the file
    python scripts/build_icd_vocabulary.py --check    # exit 1 unless the file is up to date
    python scripts/build_icd_vocabulary.py --refused  # print every refused title and why

The curated vocabulary (screener/data/concepts.yaml) knows a few hundred conditions; the
ICD-10-CM tabular list of simple-icd-10-cm 1.5.0 (screener.icd10cm) names some 47,000
categories and subcategories. Many titles are exact disease names ("Esophageal varices",
"Panic disorder [episodic paroxysmal anxiety]", "Ankylosing spondylitis"). This script keeps
the *clean* ones, as concepts the compiler can name in criteria and the evaluator can match by
code (everything below the title's codes) and by name. Compiling never imports the package:
the result is read as data by screener.concepts.

Which titles are kept (each rule refuses a title; `--refused` prints every refused code and
why):
- chapters: V-Y (external causes) and Z (factors, encounters, status) name no condition of
  the patient; codes with a 7th character (an encounter: initial, subsequent, sequela) are
  left out, and so are codes in a form patients' codes never take ("QA0.0101");
- the title without its bracketed synonyms must be a plain name: no comma (a qualifier
  follows: "Anemia, unspecified"), no parenthesised nonessential modifier (leaving it out
  may widen the name beyond the code: "Subarachnoid (nontraumatic) hemorrhage of newborn";
  keeping it gives a phrase nobody writes), no " - " list of names, a letter first, and
  only letters, digits, spaces and ' / - (`refusal`);
- no word (`REFUSED_WORDS`) that makes it a residual class ("other", "unspecified",
  "specified", "NOS", "not elsewhere classified", "certain", "unknown"), a combination or
  a cause ("and", "or", "with", "without", "due to", "by", "from", "following",
  "complicating", "associated", "affecting", "involving", "as", "for", "to", "at", "on",
  "after", "during", "than", "including", "any", "except"), an encounter, status or
  sequela ("encounter", "sequela(e)", "initial", "subsequent", "supervision", "screening",
  "history", "status"), a measurement ("score", "scale", "level", "class": "NIHSS score
  1", "Obesity class 1") or a drug event ("underdosing", "poisoning"; nor an opening
  "Adverse effect of", "Toxic effect of": they name a substance, not a disease);
- no "in", except in "in situ" ("in pregnancy", "in diseases classified elsewhere" name a
  context). "of" is kept: it is part of names ("Tetralogy of Fallot", "Malignant neoplasm
  of pancreas"), and the tokenizer reads a phrase whole or not at all;
- no laterality ("right", "left", "bilateral", "unilateral"), except the heart's sides
  ("Right heart failure", "Left bundle-branch block"): a criterion never names one side;
- not in `STOP_PHRASES`: names that would read wrongly as a bare phrase in criteria (a
  bare "pain", "shock", "fever", "weakness"; "obesity" and "overweight", which criteria
  define by BMI; "anorexia", which criteria mostly mean as anorexia nervosa; see there).

Phrases of a concept (lower-case, single-spaced, as concepts.yaml requires):
- the clean title; every code with that title belongs to the one concept (a code below
  another of its codes is left out: it is inside it anyway);
- the bracketed synonym that ends a title ("Panic disorder [episodic paroxysmal anxiety]",
  "Varicella [chickenpox]"), when `synonym_refusal` takes it: a clean name, no abbreviation
  ("[HIV]": an abbreviation needs a person's review, see concepts.yaml), no bare eponym
  ("[Sweet]"), and not after an "of" (there a bracket names the site: "Complication of
  respirator [ventilator]"). A bracket inside a title names the words before it only
  ("Clostridium perfringens [Clostridium welchii]") and is dropped;
- British spellings by the fixed substitutions of `BRITISH` (oesophageal, haemorrhage,
  anaemia, oedema, leukaemia, tumour, ...), and the other spelling of an eponym's
  possessive: "Crohn disease" and "Crohns disease" beside the package's "Crohn's disease",
  "Lyme's disease" beside "Lyme disease" when the word is a name (`eponyms`);
- a phrase the curated vocabulary or the compiler's lexicon already has is dropped (the
  curated concept wins), and so is a phrase two titles would both give; a concept left
  with no phrase is left out, and so is one whose codes are exactly a curated concept's
  (the curated concept is the same condition).

Reviewed synonyms (screener/data/icd_synonyms.csv): phrases clinicians write that no title
spells ("adenomyosis", N80.03 "Adenomyosis of the uterus"; "obstructive sleep apnea",
G47.33 and P28.32), each with the codes it denotes exactly, its source and a note on the
boundary. Rows with the same codes make one concept: the title concept with exactly those
codes when there is one (it keeps its id and title), else a new one named by its first
phrase. A synonym wins over the same words of a title ("lupus erythematosus" is L93 and M32,
not the cutaneous L93 alone). `synonym_problem` refuses a row that is not normalised,
names a code the package lacks, one of chapters V-Z or one below another of its codes, or
is a phrase the curated vocabulary or the lexicon has; `build` refuses a group whose codes
are exactly a curated concept's (the phrase belongs in concepts.yaml).

`broader`: the concepts, curated or generated, that hold every code of this one and every
code below them (computed here with the package, so curated `exclude` entries count), the
smallest of them only. A generated concept is never broader than a curated one; one that
holds a curated concept's codes is still no ancestor of it.

The file is committed; tests/test_icd_vocabulary.py checks it is in sync with this script.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from screener import concepts  # noqa: E402
from screener.compiler import lexicon  # noqa: E402
from screener.concepts import Vocabulary  # noqa: E402
from screener.resources import data_path  # noqa: E402

OUTPUT = data_path("icd_titles.tsv")
SYNONYMS = data_path("icd_synonyms.csv")
SYNONYM_HEADER = ["phrase", "codes", "source", "note"]
HEADER = ("id", "codes", "broader", "name", "phrases")

EXCLUDED_CHAPTERS = frozenset("VWXYZ")
CODE_FORM = re.compile(r"[A-Z][0-9][0-9A-Z](?:\.[0-9A-Z]{1,4})?")  # as concepts.normalize_code

REFUSED_WORDS = frozenset(
    {
        # residual classes and qualifiers
        "other", "unspecified", "specified", "nos", "not", "elsewhere", "classified",
        "certain", "unknown",
        # combinations and causes
        "and", "or", "with", "without", "due", "by", "from", "following", "complicating",
        "associated", "affecting", "involving", "as", "for", "to", "at", "on", "after",
        "during", "than",
        # encounters, status, sequelae; measurements; drug and toxic events
        "encounter", "sequela", "sequelae", "initial", "subsequent", "supervision",
        "screening", "history", "status", "score", "scale", "level", "class", "underdosing",
        "poisoning", "including", "any", "except",
    }
)  # fmt: skip
REFUSED_OPENINGS = ("adverse effect", "toxic effect")  # T36-T65: a substance, not a disease
LATERALITY = frozenset({"right", "left", "bilateral", "unilateral"})
HEART_SIDES = frozenset({"heart", "bundle", "bundle-branch", "ventricular", "atrial"})

# Titles that pass the rules above but would read wrongly as a bare phrase in criteria:
STOP_PHRASES = frozenset(
    {
        # generic, or a symptom or event of any cause, or a patient state the grammar
        # reads itself (the brief's examples, and their kin)
        "pain", "shock", "abuse", "dependence", "pregnancy", "delivery", "fever", "fall",
        "falls", "death", "disease", "disorder", "syndrome", "infection", "inflammation",
        "injury", "complication", "complications", "failure", "insufficiency",
        "dysfunction", "lesion", "mass", "neoplasm", "tumor", "cyst", "ulcer", "bleeding",
        "hemorrhage", "edema", "allergy", "intoxication", "overdose", "withdrawal",
        "remission", "relapse", "contact", "exposure", "observation", "tolerance",
        "weakness", "malaise", "fatigue", "dizziness", "swelling", "rash", "anxiety",
        "depression", "stress", "discomfort",
        # a measurement with thresholds of its own in criteria (BMI, temperature)
        "obesity", "overweight", "underweight", "hypothermia",
        # broader in criteria than its codes: "headache" (R51) leaves out migraine and the
        # headache syndromes; "stillbirth" (P95) is coded on the stillborn, not the mother
        "headache", "stillbirth",
        # O48 "Late pregnancy" is post-term; in criteria it is the third trimester
        "late pregnancy",
        # another sense in criteria: loss of appetite (R63.0) or anorexia nervosa; renal
        # or biliary colic are coded elsewhere; a ganglion is also anatomy; a line is
        # flushed; everyday words of mood and behaviour (R45, R46)
        "anorexia", "colic", "ganglion", "flushing", "worries", "nervousness",
        "unhappiness", "hostility", "impulsiveness", "overactivity",
    }
)  # fmt: skip

# British spellings: (pattern, replacement), applied together to give one variant. Each
# pattern is checked against every word of the titles it changes: "-emic" only after the
# stems of blood words (not "systemic", "endemic"); "choroideremia" is no blood word;
# "hemi-" (half) keeps its spelling; "color" only as a word ("colorectal" stays).
BRITISH: tuple[tuple[str, str], ...] = (
    (r"\besophag", "oesophag"),
    (r"\bedema", "oedema"),
    (r"(lymph|papill|myx)edema", r"\1oedema"),
    (r"\bhem(?=o|at|orrh|angi)", "haem"),
    (r"(?<!choroider)emia\b", "aemia"),
    (r"(glyc|phosphat|vol|isch|py|septic|ur|an|leuk|ox)emic\b", r"\1aemic"),
    (r"tumor", "tumour"),
    (r"rrhea\b", "rrhoea"),
    (r"rrheic\b", "rrhoeic"),
    (r"\bdyspnea\b", "dyspnoea"),
    (r"apnea\b", "apnoea"),
    (r"\bceliac\b", "coeliac"),
    (r"\bestrogen", "oestrogen"),
    (r"\bpediatric", "paediatric"),
    (r"gynecolog", "gynaecolog"),
    (r"\banesthe", "anaesthe"),
    (r"paresthe", "paraesthe"),
    (r"\bfetal\b", "foetal"),
    (r"\bfetus\b", "foetus"),
    (r"behavior", "behaviour"),
    (r"\bcolor\b", "colour"),
)

_PARTICLES = frozenset({"de", "di", "du", "la", "le", "van", "von", "der"})
_BRACKET = re.compile(r"\s*\[([^\]]*)\]")
_ENDING_BRACKET = re.compile(r"\[([^\]]*)\]\s*$")
_POSSESSIVE = re.compile(r"\b([A-Z][a-z]+)'s\b")
_EPONYM_DISEASE = re.compile(r"\b([A-Z][a-z]+) (?:disease|syndrome)\b")
_INNER_CAPITAL = re.compile(r"(?<= )[A-Z][a-z]+\b")


@dataclass
class Draft:
    """A concept in the making: its clean title, codes, phrases and original title."""

    title: str
    name: str
    codes: list[str] = field(default_factory=list)
    synonyms: list[str] = field(default_factory=list)
    phrases: list[str] = field(default_factory=list)
    id: str = ""
    broader: list[str] = field(default_factory=list)
    reviewed: list[str] = field(default_factory=list)  # phrases of icd_synonyms.csv


def normal(text: str) -> str:
    """Lower-case with single spaces (the form of concepts.yaml phrases)."""
    return " ".join(text.casefold().split())


def refusal(title: str) -> str | None:
    """Why a title (without bracketed synonyms) is no plain condition name; None if it is."""
    if "," in title:
        return "comma"
    if "(" in title or ")" in title:
        return "parenthesis"
    text = normal(title)
    if not text or not text[0].isalpha():
        return "not a word first"
    words = text.split()
    for index, word in enumerate(words):
        bare = word.strip(".;:")
        if bare in REFUSED_WORDS:
            return f"word '{bare}'"
        if bare == "-":
            return "a list of names"
        if bare == "in" and (index + 1 >= len(words) or words[index + 1] != "situ"):
            return "word 'in'"
        if bare in LATERALITY:
            after = words[index + 1] if index + 1 < len(words) else ""
            if after not in HEART_SIDES and not after.startswith("bundle"):
                return f"laterality '{bare}'"
    if text.startswith(REFUSED_OPENINGS):
        return "drug or toxic effect"
    if text in STOP_PHRASES:
        return "stop list"
    if not re.fullmatch(r"[a-z0-9' /-]+", text):
        return "character"
    return None


def split_title(title: str) -> tuple[str, list[str]]:
    """The title without its bracketed synonyms, and the synonym that ends it, if any.

    Only a synonym at the end names the whole title ("Panic disorder [episodic paroxysmal
    anxiety]"); one inside names the words before it ("Foodborne Clostridium perfringens
    [Clostridium welchii] intoxication").
    """
    clean = _BRACKET.sub("", title).strip()
    ending = _ENDING_BRACKET.search(title)
    return clean, [ending.group(1).strip()] if ending else []


def british(phrase: str) -> str | None:
    """The phrase in British spelling, or None when it has no American spelling of the list."""
    variant = phrase
    for pattern, replacement in BRITISH:
        variant = re.sub(pattern, replacement, variant)
    return variant if variant != phrase else None


def possessives(title: str, eponyms: frozenset[str]) -> list[str]:
    """The other spellings of an eponym: "Crohn disease" and "Crohns disease" beside the
    package's "Crohn's disease"; "Krabbe's disease" beside its "Krabbe disease" when
    "Krabbe" is a name (capitalised inside some title, see `eponyms`)."""
    if _POSSESSIVE.search(title):
        return [_POSSESSIVE.sub(r"\1", title), _POSSESSIVE.sub(r"\1s", title)]
    named = _EPONYM_DISEASE.search(title)
    before = title[: named.start()].split() if named else []
    if before and before[-1][:1].isupper():
        return []  # a name of two words ("Kyasanur Forest disease")
    if named and named.group(1).casefold() in eponyms:
        return [f"{title[: named.end(1)]}'s{title[named.end(1) :]}"]
    return []


def eponyms(titles: Iterable[str]) -> frozenset[str]:
    """Names: words some title capitalises after its first word ("Krabbe", "Lyme") and no
    title writes in lower case ("Hypereosinophilic" is capitalised only to open a title)."""
    capitalised: set[str] = set()
    lower: set[str] = set()
    for title in titles:
        capitalised.update(w.casefold() for w in _INNER_CAPITAL.findall(title))
        lower.update(re.findall(r"\b[a-z]+\b", title))
    return frozenset(capitalised - lower)


def synonym_refusal(synonym: str, title: str) -> str | None:
    """Why the synonym ending a title is no phrase of its own; None when it is one.

    It must be a clean name itself (`refusal`), no abbreviation ("[HIV]", "[E. coli]": an
    abbreviation needs a person's review), and no bare eponym ("Febrile neutrophilic
    dermatosis [Sweet]" is Sweet's syndrome, not "sweet"); and the title must have no
    "of", after which a bracket names the site alone ("Complication of respirator
    [ventilator]", "Fracture of lunate [semilunar]").
    """
    words = synonym.split()
    if any(sum(ch.isupper() for ch in word) >= 2 for word in words) or re.search(
        r"\b[A-Z]\.", synonym
    ):
        return "abbreviation"
    if all(w[:1].isupper() or w in _PARTICLES for w in words):
        return "eponym"
    if " of " in f" {normal(title)} ":
        return "may name the site only"
    return refusal(synonym)


def variants(text: str, names: frozenset[str]) -> list[str]:
    """A clean name, its possessive variants and the British spelling of each."""
    found = [normal(text), *(normal(p) for p in possessives(text, names))]
    found += [b for b in (british(p) for p in found) if b]
    return list(dict.fromkeys(found))


# ---------------------------------------------------------------- the package


@cache
def package() -> ModuleType:
    """simple-icd-10-cm, imported once (it reads its data with a deprecated API)."""
    with warnings.catch_warnings(action="ignore", category=DeprecationWarning):
        import simple_icd_10_cm
    return simple_icd_10_cm


def icd_titles() -> dict[str, str]:
    """Category and subcategory codes (no 7th-character extensions) and their titles."""
    icd = package()
    return {
        code: str(icd.get_description(code))
        for code in icd.get_all_codes(True)
        if icd.is_category_or_subcategory(code) and not icd.is_extended_subcategory(code)
    }


@cache
def descendants(code: str) -> tuple[str, ...]:
    return tuple(str(c) for c in package().get_descendants(code))


@cache
def ancestors(code: str) -> frozenset[str]:
    return frozenset(str(c) for c in package().get_ancestors(code))


def is_below(code: str, other: str) -> bool:
    return other != code and other in ancestors(code)


# ---------------------------------------------------------------- building


def drafts(titles: dict[str, str], refused: dict[str, str]) -> dict[str, Draft]:
    """Clean titles by their phrase, with every code of that title."""
    found: dict[str, Draft] = {}
    for code, title in titles.items():
        if code[0] in EXCLUDED_CHAPTERS:
            refused[code] = "chapter"
            continue
        if not CODE_FORM.fullmatch(code):
            refused[code] = "a code form patients' codes never take (QA0.0101)"
            continue
        clean, synonyms = split_title(title)
        why = refusal(clean)
        if why:
            refused[code] = why
            continue
        key = normal(clean)
        draft = found.setdefault(key, Draft(title=clean, name=title))
        draft.codes.append(code)
        draft.synonyms += [s for s in synonyms if synonym_refusal(s, clean) is None]
    for draft in found.values():
        draft.codes = [c for c in draft.codes if not any(is_below(c, o) for o in draft.codes)]
    return found


def known_phrases(vocabulary: Vocabulary) -> set[str]:
    """Every phrase the curated vocabulary or the compiler's lexicon already has."""
    return {normal(p) for p in lexicon.entries()} | {p for p, _ in vocabulary.phrases()}


def assign_phrases(found: dict[str, Draft], taken: set[str], names: frozenset[str]) -> None:
    """Each draft's phrases, leaving out those already taken or claimed twice."""
    claims: dict[str, set[str]] = {}
    for key, draft in found.items():
        for text in [draft.title, *draft.synonyms]:
            for phrase in variants(text, names):
                claims.setdefault(phrase, set()).add(key)
    for key, draft in found.items():
        own = [p for t in [draft.title, *draft.synonyms] for p in variants(t, names)]
        draft.phrases = [
            p
            for p in dict.fromkeys(own)
            if p not in taken and p not in STOP_PHRASES and claims[p] == {key}
        ]


@dataclass(frozen=True)
class Synonym:
    """A row of icd_synonyms.csv: a reviewed phrase and the codes it denotes."""

    phrase: str
    codes: tuple[str, ...]
    source: str
    note: str


def read_synonyms(path: Path = SYNONYMS) -> list[Synonym]:
    """The rows of the synonym table, after its `#` comment lines and header."""
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line]
    rows = list(csv.reader(line for line in lines if not line.startswith("#")))
    if not rows or rows[0] != SYNONYM_HEADER:
        raise SystemExit(f"{path.name} must start with the header {','.join(SYNONYM_HEADER)}")
    found: list[Synonym] = []
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != len(SYNONYM_HEADER):
            raise SystemExit(f"{path.name} row {number}: needs {len(SYNONYM_HEADER)} fields")
        phrase, codes, source, note = row
        found.append(Synonym(phrase, tuple(codes.split()), source, note))
    return found


def synonym_problem(synonym: Synonym, taken: set[str]) -> str | None:
    """Why a row of the synonym table cannot be used; None when it can."""
    phrase = synonym.phrase
    if phrase != normal(phrase) or not re.fullmatch(r"[a-z][a-z0-9' /-]*[a-z0-9]", phrase):
        return "not a normalised phrase"
    if phrase in taken:
        return "a phrase of the curated vocabulary or the lexicon (curated wins)"
    if not synonym.codes or not synonym.source:
        return "needs codes and a source"
    titles = icd_titles()
    for code in synonym.codes:
        if code not in titles or not CODE_FORM.fullmatch(code):
            return f"{code} is no category or subcategory of the package"
        if code[0] in EXCLUDED_CHAPTERS:
            return f"{code} names no condition of the patient (chapters V-Z)"
        if any(is_below(code, other) for other in synonym.codes):
            return f"{code} lies below another code of the row"
    return None


def synonym_groups(rows: list[Synonym], taken: set[str]) -> dict[tuple[str, ...], list[str]]:
    """Phrases by their (sorted) codes; a SystemExit names every bad or repeated row."""
    problems: list[str] = []
    groups: dict[tuple[str, ...], list[str]] = {}
    seen: set[str] = set()
    for row in rows:
        why = "repeated" if row.phrase in seen else synonym_problem(row, taken)
        seen.add(row.phrase)
        if why:
            problems.append(f"{row.phrase!r}: {why}")
            continue
        groups.setdefault(tuple(sorted(row.codes)), []).append(row.phrase)
    if problems:
        raise SystemExit(f"{SYNONYMS.name}: " + "; ".join(problems))
    return groups


def attach_synonyms(found: dict[str, Draft], groups: dict[tuple[str, ...], list[str]]) -> None:
    """Each group's phrases to the title draft with exactly its codes, else to a new draft
    named by its first phrase."""
    by_codes = {tuple(sorted(d.codes)): d for d in found.values()}
    for codes, phrases in groups.items():
        draft = by_codes.get(codes)
        if draft is None:
            name = phrases[0][:1].upper() + phrases[0][1:]
            draft = found.setdefault(f"{phrases[0]}\tsynonym", Draft(phrases[0], name, list(codes)))
        draft.reviewed = list(phrases)
        draft.phrases = [*draft.phrases, *phrases]


def slug(text: str) -> str:
    """A rule-language id from a phrase: "Crohn's disease" → crohns_disease."""
    text = normal(text).replace("'s", "s").replace("'", "")
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


def assign_ids(found: Iterable[Draft], curated: set[str]) -> None:
    """Readable ids; a collision (with a curated id or another title) takes the first code."""
    used = set(curated)
    kept = list(found)
    counts: dict[str, int] = {}
    for draft in kept:
        counts[slug(draft.title)] = counts.get(slug(draft.title), 0) + 1
    for draft in kept:
        base = slug(draft.title)
        cid = base
        if cid in used or counts[base] > 1:
            cid = f"{base}_{slug(draft.codes[0])}"
        if not re.fullmatch(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*", cid) or cid in used:
            raise SystemExit(f"cannot make an id for {draft.title!r}: {cid!r}")
        used.add(cid)
        draft.id = cid


class Containment:
    """Which concepts' codes hold every code of a draft (by the package's tree)."""

    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary
        self._memo: dict[str, frozenset[str]] = {}
        self.owners: dict[str, set[str]] = {}  # a generated concept's code → its id

    def of_code(self, code: str) -> frozenset[str]:
        """Curated concepts (with ancestors) that the code denotes."""
        if code not in self._memo:
            self._memo[code] = frozenset(self.vocabulary.code_concepts(code))
        return self._memo[code]

    def curated_holders(self, draft: Draft) -> set[str]:
        """Curated concepts holding the draft's codes and every code below them."""
        holders: set[str] | None = None
        for item in (c for code in draft.codes for c in (code, *descendants(code))):
            found = self.of_code(item)
            holders = set(found) if holders is None else holders & found
            if not holders:
                return set()
        return holders or set()

    def generated_holders(self, draft: Draft) -> set[str]:
        """Other generated concepts whose codes contain every code of this one."""
        holders: set[str] | None = None
        for code in draft.codes:
            found = {cid for c in (code, *ancestors(code)) for cid in self.owners.get(c, ())}
            holders = found if holders is None else holders & found
        return (holders or set()) - {draft.id}


def smallest(holders: set[str], inside: dict[str, set[str]]) -> list[str]:
    """The holders no other holder lies inside (the rest follow as their ancestors)."""
    return sorted(h for h in holders if not any(h in inside.get(o, set()) for o in holders))


def build(refused: dict[str, str] | None = None) -> list[Draft]:
    """The generated concepts, in the order of their first code."""
    refused = {} if refused is None else refused
    vocabulary = concepts.load_vocabulary(data_path("concepts.yaml"))  # curated only
    titles = icd_titles()
    found = drafts(titles, refused)
    taken = known_phrases(vocabulary)
    groups = synonym_groups(read_synonyms(), taken)
    reviewed = {p for phrases in groups.values() for p in phrases}
    assign_phrases(found, taken | reviewed, eponyms(titles.values()))  # a synonym wins
    attach_synonyms(found, groups)
    kept = [d for d in found.values() if d.phrases]
    for draft in found.values():
        if not draft.phrases:
            for code in draft.codes:
                refused[code] = "no phrase left (curated, lexicon or shared)"
    assign_ids(kept, set(vocabulary.concepts))
    containment = Containment(vocabulary)
    result: list[Draft] = []
    for draft in kept:
        curated = containment.curated_holders(draft)
        equal = [c for c in curated if _equals_curated(vocabulary, c, draft)]
        if equal and draft.reviewed:
            raise SystemExit(f"{draft.reviewed[0]!r} has the codes of curated {equal[0]}")
        if equal:
            for code in draft.codes:
                refused[code] = f"same codes as curated {equal[0]}"
            continue
        draft.broader = sorted(curated)
        result.append(draft)
    for draft in result:
        for code in draft.codes:
            containment.owners.setdefault(code, set()).add(draft.id)
    for draft in result:
        draft.broader += sorted(containment.generated_holders(draft))
    inside = _inside(vocabulary, result)
    for draft in result:
        draft.broader = smallest(set(draft.broader), inside)
    return sorted(result, key=lambda d: (d.codes[0], d.id))


def _equals_curated(vocabulary: Vocabulary, cid: str, draft: Draft) -> bool:
    """Whether every code of the curated concept (and its narrower ones) is in the draft."""
    family = [cid, *sorted(vocabulary.descendants(cid))]
    icd10 = [p for member in family for p in vocabulary.concepts[member].icd10]
    return bool(icd10) and all(
        any(p.text == c or (not p.is_block and is_below(p.text, c)) for c in draft.codes)
        for p in icd10
    )


def _inside(vocabulary: Vocabulary, result: list[Draft]) -> dict[str, set[str]]:
    """For each concept, the concepts it lies inside (curated: its ancestors)."""
    inside = {cid: vocabulary.ancestors(cid) for cid in vocabulary.concepts}
    for draft in result:
        inside[draft.id] = set(draft.broader)
    changed = True
    while changed:  # close generated ones over their holders' holders
        changed = False
        for draft in result:
            more = set().union(*(inside.get(h, set()) for h in inside[draft.id]))
            if not more <= inside[draft.id]:
                inside[draft.id] |= more
                changed = True
    return inside


def rows(result: list[Draft]) -> Iterator[str]:
    yield "\t".join(HEADER)
    for draft in result:
        yield "\t".join(
            (draft.id, " ".join(draft.codes), " ".join(draft.broader), draft.name,
             " | ".join(draft.phrases))
        )  # fmt: skip


def render(result: list[Draft]) -> str:
    head = (
        "# Generated by scripts/build_icd_vocabulary.py from the ICD-10-CM titles of "
        "simple-icd-10-cm 1.5.0; do not edit (rules: the script's docstring).\n"
    )
    return head + "\n".join(rows(result)) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 unless the file is current")
    parser.add_argument("--refused", action="store_true", help="print refused titles and why")
    args = parser.parse_args()
    refused: dict[str, str] = {}
    text = render(build(refused))
    if args.refused:
        titles = icd_titles()
        for code, why in sorted(refused.items()):
            print(f"{code}\t{why}\t{titles[code]}")
        return
    if args.check:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
        if current != text:
            print(f"{OUTPUT} is out of date: run python scripts/build_icd_vocabulary.py")
            raise SystemExit(1)
        return
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT} ({text.count(chr(10)) - 2} concepts)")


if __name__ == "__main__":
    main()
