"""Condition, drug-class and procedure vocabulary (screener/data/concepts.yaml) and
patient matching.

The vocabulary is data: concepts with phrases, ICD-10-CM codes, history codes and
broader concepts; drug classes with phrases, ATC codes and member drug names; procedures
with phrases, SNOMED CT concept ids and broader procedures. It is
loaded and checked once, at import (its codes against the ICD-10-CM tree on first use, see
below); an inconsistent file raises `VocabularyError`.

Generated concepts (screener/data/icd_titles.tsv, written by scripts/build_icd_vocabulary.py)
add the clean titles of the ICD-10-CM tabular list ("Panic disorder", F41.0) and the reviewed
synonyms of screener/data/icd_synonyms.csv ("adenomyosis", N80.03) to the curated ones, read
as data (the package is not imported). `CONCEPTS` is the curated vocabulary,
`ALL_CONCEPTS` both. The curated vocabulary wins: a generated phrase a curated concept or
drug class has is left out. A generated concept matches by its codes (everything below
them) and its phrases; its `broader` concepts hold all its codes, and it is never broader
than a curated concept. It is known absent only by name (an absent entry naming it or an
ancestor): an ICD-10-CM title may name a condition the list also codes elsewhere (G47.0
"Insomnia"; nonorganic insomnia is F51.0), so no absent code rules it out.

Code semantics (see the head of concepts.yaml):
- "K72.0" is a code and everything below it; "C15-C26" is a block and everything below
  it. Below means below in the ICD-10-CM tree of simple-icd-10-cm 1.5.0 (screener.icd10cm),
  not by spelling: every entry must be an item of that package, a block one with codes under
  it. Codes are accepted dotted or undotted, in any case.
- A code denotes the concepts whose own codes contain it, plus their ancestors. A code the
  package does not know counts by its longest known prefix, unless an `exclude` entry lies
  below that prefix; an unknown absent code rules nothing out.
- The entries are checked against the package when `load_vocabulary` runs, or, for the
  shipped vocabulary loaded at import, the first time a code is matched (the package takes
  seconds to import and criteria compile without it).
- History codes (Z85 personal history of malignancy, Z94 transplant status, "in
  remission") denote the concept as past: they count as `resolved`.

Matching a concept against a patient's condition entries (`match`):
- an entry matches when it denotes the concept or one of its descendants;
- the concept is known absent when an `absent` entry denotes the concept itself or an
  ancestor of it: by name (the phrase's concept), or by code when the code covers every
  code of that concept ("no infection" rules out sepsis; "no sepsis" does not rule out
  infection; absent B20 alone does not rule out HIV, which Z21 also codes);
- or when `absent` entries together refute every code of the `refuted_by` set of the
  concept or of an ancestor: the codes of that set between them account for every case
  of the concept (HIV is B20 disease or Z21 asymptomatic infection; O98.7 and B97.35 are
  only coded alongside one of them), so absent B20 and absent Z21 rule out HIV. An absent
  code refutes a set member it contains (absent B18 refutes B18.1);
- a present entry never makes another concept absent.

Matching a procedure against a patient's procedure entries (`procedure_kinds`,
`procedure_ruled_out`): an entry denotes the procedures whose SNOMED CT ids equal its code
or whose phrases equal its name, with their broader procedures (a haemodialysis is a
dialysis); an `absent` entry rules out what it denotes itself and everything narrower
(no dialysis: no haemodialysis either; no haemodialysis says nothing of dialysis).

A concept marked `procedure` (a transplant) is the lasting result of an operation: a
procedure entry named by one of its phrases records it too (`procedure_concepts`), with
its ancestors ("allogeneic stem cell transplant" is a stem cell transplant), and an absent
one rules out what it names and everything narrower (`procedure_concept_ruled_out`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Generic, NoReturn, Protocol, TypeVar

import yaml

from screener import icd10cm
from screener.errors import InputError
from screener.resources import data_path

__all__ = [
    "ALL_CONCEPTS",
    "CONCEPTS",
    "DRUG_CLASSES",
    "PROCEDURES",
    "STATUSES",
    "VOCABULARY",
    "CodePattern",
    "Concept",
    "DrugClass",
    "EntryLike",
    "MatchResult",
    "ProcedureKind",
    "Vocabulary",
    "VocabularyError",
    "ancestors",
    "by_phrase",
    "code_concepts",
    "denied_classes",
    "descendants",
    "drug_class_by_phrase",
    "drug_class_phrases",
    "entry_concepts",
    "generated_phrases",
    "history_concepts",
    "icd_key",
    "is_history_code",
    "load_generated",
    "load_vocabulary",
    "match",
    "medication_classes",
    "normalize_code",
    "phrases",
    "procedure_broader",
    "procedure_by_phrase",
    "procedure_concept_ruled_out",
    "procedure_concepts",
    "procedure_kinds",
    "procedure_phrases",
    "procedure_ruled_out",
]

STATUSES = ("present", "suspected", "absent", "resolved")

_ID = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
_DATA_CODE = re.compile(r"[A-Z][0-9][0-9A-Z](?:\.[0-9A-Z]{1,4})?")
_BLOCK = re.compile(r"([A-Z][0-9][0-9A-Z])-([A-Z][0-9][0-9A-Z])")
_UNDOTTED = re.compile(r"[A-Z][0-9][0-9A-Z][0-9A-Z]{0,4}")
_SNOMED_ID = re.compile(r"[1-9][0-9]{5,17}")
_ATC = re.compile(r"[A-Z](?:[0-9]{2}(?:[A-Z](?:[A-Z](?:[0-9]{2})?)?)?)?")
_ICD_SYSTEMS = frozenset({"icd10cm", "icd-10-cm", "icd10", "icd-10"})


# libyaml's safe loader where PyYAML was built with it (about 10x faster on this file).
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class VocabularyError(InputError):
    """The vocabulary file is malformed or inconsistent."""


def normalize_phrase(text: str) -> str:
    """Case-folded, with runs of whitespace collapsed to one space."""
    return " ".join(text.casefold().split())


def normalize_code(code: str) -> str | None:
    """An ICD-10-CM code, upper-case and undotted ("k72.01" → "K7201"); None if malformed."""
    text = code.strip().upper()
    if "." in text:
        head, _, tail = text.partition(".")
        if len(head) != 3 or not tail or "." in tail:
            return None
        text = head + tail
    return text if _UNDOTTED.fullmatch(text) else None


@lru_cache(maxsize=1 << 16)
def icd_key(code: str) -> str | None:
    """A patient's code in the package's spelling ("k7201" → "K72.01"); None if malformed."""
    norm = normalize_code(code)
    return icd10cm.spelling(norm) if norm else None


# ---------------------------------------------------------------- code patterns


@dataclass(frozen=True)
class CodePattern:
    """An entry of the vocabulary: a code ("K72.0") or a block ("C15-C26") of the ICD-10-CM
    tree, with everything below it in simple-icd-10-cm's tree.

    Codes passed to the methods are in the package's spelling (see `icd_key`).
    """

    text: str
    is_block: bool

    @classmethod
    def parse(cls, text: str) -> CodePattern:
        """Parse the data form (spelling only; `problem` asks the package)."""
        block = _BLOCK.fullmatch(text)
        if block:
            if block.group(1) > block.group(2):
                raise ValueError(f"code block {text!r} runs backwards")
            return cls(text, True)
        if "-" in text:
            raise ValueError(
                f"malformed code range {text!r}: a block of the tabular list joins two "
                "3-character categories, as in C15-C26"
            )
        if not _DATA_CODE.fullmatch(text):
            raise ValueError(
                f"malformed ICD-10-CM code {text!r}: write it upper-case and dotted, as in K72.0"
            )
        return cls(text, False)

    def problem(self) -> str | None:
        """Why the package cannot take this entry, or None when it can."""
        if not icd10cm.is_known(self.text):
            if self.is_block:
                return (
                    f"{self.text} is not a block of {icd10cm.PACKAGE}: list the blocks or "
                    "categories it spans"
                )
            return f"{self.text} is not a code of {icd10cm.PACKAGE} (retired or mistyped?)"
        if not icd10cm.is_code(self.text) and not icd10cm.has_children(self.text):
            return (
                f"{self.text} is a heading with no codes under it in {icd10cm.PACKAGE}: "
                "list the sub-blocks it spans"
            )
        return None

    def contains(self, code: str) -> bool:
        """Whether a code is this entry or lies below it (False for an unknown code)."""
        return self.text in icd10cm.lineage(code)

    def covered_by(self, code: str) -> bool:
        """Whether every code of this entry lies inside `code` (False for an unknown code)."""
        return code in icd10cm.lineage(self.text)

    def within(self, other: CodePattern) -> bool:
        """Whether every code of this entry lies inside `other`."""
        return other.text in icd10cm.lineage(self.text)

    def overlaps(self, other: CodePattern) -> bool:
        """Whether some code lies inside both entries (in a tree: one holds the other)."""
        return self.within(other) or other.within(self)


def _hits(patterns: Iterable[CodePattern], lineage: frozenset[str]) -> bool:
    return any(p.text in lineage for p in patterns)


# ---------------------------------------------------------------- vocabulary items


@dataclass(frozen=True)
class Concept:
    """A condition concept of the vocabulary."""

    id: str
    name: str
    phrases: tuple[str, ...]
    icd10: tuple[CodePattern, ...] = ()
    exclude: tuple[CodePattern, ...] = ()
    history_codes: tuple[CodePattern, ...] = ()
    broader: tuple[str, ...] = ()
    source: str = ""
    note: str = ""
    refuted_by: tuple[CodePattern, ...] = ()  # refuting all of these rules the concept out
    generated: bool = False  # from an ICD-10-CM title (icd_titles.tsv), not concepts.yaml
    procedure: bool = False  # the lasting result of a procedure (a transplant), dated by it

    def has_code(self, code: str) -> bool:
        """Whether the concept's own codes (not its descendants') contain `code`."""
        key = icd_key(code)
        return key is not None and self.own_status(key)[0]

    def has_history_code(self, code: str) -> bool:
        """Whether `code` is one of the concept's own history codes."""
        key = icd_key(code)
        return key is not None and self.own_status(key)[1]

    def own_status(self, code: str) -> tuple[bool, bool]:
        """(present, history): whether a code in the package's spelling lies in the concept's
        own `icd10` less `exclude`, and in its own `history_codes`.

        A code the package does not know counts as its longest known prefix, except that it
        is not present when an `exclude` entry lies below that prefix (it may lie there).
        """
        item = icd10cm.nearest(code)
        if item is None:
            return False, False
        lineage = icd10cm.lineage(item)
        present = _hits(self.icd10, lineage) and not _hits(self.exclude, lineage)
        if present and item != code:
            present = not any(item in icd10cm.lineage(p.text) for p in self.exclude)
        return present, _hits(self.history_codes, lineage)


@dataclass(frozen=True)
class DrugClass:
    """A drug class: ATC groups, member drug names, phrases of criterion text."""

    id: str
    name: str
    phrases: tuple[str, ...]
    atc: tuple[str, ...] = ()
    members: tuple[str, ...] = ()
    broader: tuple[str, ...] = ()
    local_form: str | None = None
    source: str = ""
    note: str = ""


@dataclass(frozen=True)
class ProcedureKind:
    """A procedure or treatment course of the vocabulary (surgery, radiotherapy, dialysis)."""

    id: str
    name: str
    phrases: tuple[str, ...]
    snomed: tuple[str, ...] = ()
    broader: tuple[str, ...] = ()
    course: bool = False  # a course that may be going on ("currently on dialysis")
    source: str = ""
    note: str = ""


class EntryLike(Protocol):
    """What `match` reads of a patient's condition entry (patient.ConditionEntry fits)."""

    @property
    def name(self) -> str | None: ...

    @property
    def code(self) -> str | None: ...

    @property
    def status(self) -> str: ...


E = TypeVar("E", bound=EntryLike)


@dataclass(frozen=True)
class MatchResult(Generic[E]):
    """The entries that bear on one concept, by what they say about it."""

    concept: str
    present: tuple[E, ...] = ()
    suspected: tuple[E, ...] = ()
    resolved: tuple[E, ...] = ()  # resolved entries and history codes (Z85, Z94, in remission)
    absent: tuple[E, ...] = ()  # absent entries that rule the concept out

    @property
    def known_absent(self) -> bool:
        return bool(self.absent)


# ---------------------------------------------------------------- the vocabulary


def _closure(graph: Mapping[str, tuple[str, ...]]) -> dict[str, frozenset[str]]:
    """Transitive successors of every node; raises ValueError naming a cycle."""
    done: dict[str, frozenset[str]] = {}

    def visit(node: str, path: tuple[str, ...]) -> frozenset[str]:
        if node in done:
            return done[node]
        if node in path:
            cycle = " → ".join((*path[path.index(node) :], node))
            raise ValueError(f"broader concepts form a cycle: {cycle}")
        found: set[str] = set()
        for parent in graph[node]:
            found.add(parent)
            found |= visit(parent, (*path, node))
        done[node] = frozenset(found)
        return done[node]

    for node in graph:
        visit(node, ())
    return done


def _inverse(closure: Mapping[str, frozenset[str]]) -> dict[str, frozenset[str]]:
    inverse: dict[str, set[str]] = {node: set() for node in closure}
    for node, ups in closure.items():
        for up in ups:
            inverse[up].add(node)
    return {node: frozenset(downs) for node, downs in inverse.items()}


def _word_pattern(words: Iterable[str]) -> re.Pattern[str]:
    alternatives = sorted(words, key=len, reverse=True)
    body = "|".join(re.escape(word) for word in alternatives) or r"(?!)"
    return re.compile(rf"(?<![a-z0-9])(?:{body})(?![a-z0-9])")


class Vocabulary:
    """Concepts and drug classes, checked for consistency and indexed."""

    def __init__(
        self,
        concepts: Sequence[Concept],
        drug_classes: Sequence[DrugClass] = (),
        local_form_words: Sequence[str] = (),
        source: str = "concepts.yaml",
        check_codes: bool = True,
        procedures: Sequence[ProcedureKind] = (),
        generated: Sequence[Concept] = (),
    ) -> None:
        """`check_codes=False` defers `check_codes` to the first code matched.

        `generated` are the concepts made from ICD-10-CM titles (`load_generated`): each
        phrase a curated concept or drug class already has is left out (the curated
        vocabulary wins).
        """
        self.source = source
        self.concepts: dict[str, Concept] = {}
        self.curated: dict[str, Concept] = {}
        self.drug_classes: dict[str, DrugClass] = {}
        self.procedures: dict[str, ProcedureKind] = {}
        self._phrase_index: dict[str, Concept] = {}
        self._generated_index: dict[str, Concept] = {}
        self._class_phrase_index: dict[str, DrugClass] = {}
        self._procedure_phrase_index: dict[str, ProcedureKind] = {}
        self._procedure_codes: dict[str, str] = {}  # SNOMED CT id → procedure id
        seen_phrases: dict[str, str] = {}

        for index, concept in enumerate(concepts):
            where = f"concepts[{index}] ({concept.id})"
            if concept.id in self.concepts:
                self._fail(where, f"duplicate concept id {concept.id!r}")
            self.concepts[concept.id] = concept
            for phrase in concept.phrases:
                self._claim(seen_phrases, phrase, f"concept {concept.id}", where)
                self._phrase_index[phrase] = concept
        self.curated = dict(self.concepts)
        for index, drug_class in enumerate(drug_classes):
            where = f"drug_classes[{index}] ({drug_class.id})"
            if drug_class.id in self.drug_classes:
                self._fail(where, f"duplicate drug class id {drug_class.id!r}")
            self.drug_classes[drug_class.id] = drug_class
            for phrase in drug_class.phrases:
                self._claim(seen_phrases, phrase, f"drug class {drug_class.id}", where)
                self._class_phrase_index[phrase] = drug_class
        self._index_procedures(procedures, seen_phrases)
        self._add_generated(generated, seen_phrases)

        all_concepts = list(self.concepts.values())
        self._ancestors = self._hierarchy(
            "concepts", [(c.id, c.broader) for c in all_concepts], "concept"
        )
        self._descendants = _inverse(self._ancestors)
        self._class_ancestors = self._hierarchy(
            "drug_classes", [(d.id, d.broader) for d in drug_classes], "drug class"
        )
        self._class_descendants = _inverse(self._class_ancestors)
        self._check_drug_classes(drug_classes)
        self._procedure_ancestors = self._hierarchy(
            "procedures", [(p.id, p.broader) for p in procedures], "procedure"
        )

        # Every concept's codes: its own and its curated descendants' (a generated one's
        # codes lie inside its ancestors' own codes: scripts/build_icd_vocabulary.py).
        self._extension: dict[str, tuple[tuple[CodePattern, ...], tuple[CodePattern, ...]]] = {}
        for cid, concept in self.concepts.items():
            narrower = (d for d in sorted(self._descendants[cid]) if d in self.curated)
            family = [concept, *(self.concepts[d] for d in narrower)]
            self._extension[cid] = (
                tuple(p for c in family for p in c.icd10),
                tuple(p for c in family for p in c.history_codes),
            )

        self._codes_checked = False
        if check_codes:
            self.check_codes()

        self._local_words = _word_pattern(local_form_words)
        self._local_classes = frozenset(d.local_form for d in drug_classes if d.local_form)
        self._member_patterns = {d.id: _word_pattern(d.members) for d in drug_classes if d.members}
        self._code_cache: dict[str, tuple[frozenset[str], frozenset[str]]] = {}
        self._own_status = lru_cache(maxsize=1 << 16)(self._find_own_status)
        self._listed_by: dict[str, set[str]] = {}  # icd10 or history entry → concept ids
        for concept in self.concepts.values():
            for pattern in (*concept.icd10, *concept.history_codes):
                self._listed_by.setdefault(pattern.text, set()).add(concept.id)

    # ------------------------------------------------------------ construction checks

    def _fail(self, field_path: str, message: str) -> NoReturn:
        raise VocabularyError(self.source, field_path, message)

    def _claim(self, seen: dict[str, str], phrase: str, owner: str, where: str) -> None:
        if phrase in seen:
            self._fail(f"{where}.phrases", f"phrase {phrase!r} already belongs to {seen[phrase]}")
        seen[phrase] = owner

    def _add_generated(self, generated: Sequence[Concept], seen: dict[str, str]) -> None:
        """Index the generated concepts; a phrase already taken is left out (curated wins)."""
        for index, concept in enumerate(generated):
            where = f"generated[{index}] ({concept.id})"
            if concept.id in self.concepts:
                self._fail(
                    where,
                    f"id {concept.id!r} is also a curated concept: regenerate the file with "
                    "scripts/build_icd_vocabulary.py",
                )
            self.concepts[concept.id] = concept
            for phrase in concept.phrases:
                if phrase in self._generated_index:
                    self._fail(where, f"phrase {phrase!r} already belongs to another title")
                if phrase not in seen:
                    self._generated_index[phrase] = concept

    def _index_procedures(
        self, procedures: Sequence[ProcedureKind], seen_phrases: dict[str, str]
    ) -> None:
        """Procedures by id, phrase and SNOMED CT id; a phrase or a code denotes one only."""
        for index, procedure in enumerate(procedures):
            where = f"procedures[{index}] ({procedure.id})"
            if procedure.id in self.procedures:
                self._fail(where, f"duplicate procedure id {procedure.id!r}")
            self.procedures[procedure.id] = procedure
            for phrase in procedure.phrases:
                self._claim(seen_phrases, phrase, f"procedure {procedure.id}", where)
                self._procedure_phrase_index[phrase] = procedure
            for code in procedure.snomed:
                if code in self._procedure_codes:
                    self._fail(
                        f"{where}.snomed",
                        f"{code} already denotes procedure {self._procedure_codes[code]}",
                    )
                self._procedure_codes[code] = procedure.id

    def _hierarchy(
        self, section: str, items: list[tuple[str, tuple[str, ...]]], kind: str
    ) -> dict[str, frozenset[str]]:
        known = {item_id for item_id, _ in items}
        for index, (item_id, broader) in enumerate(items):
            for parent in broader:
                if parent == item_id:
                    self._fail(f"{section}[{index}] ({item_id}).broader", "names itself")
                if parent not in known:
                    self._fail(
                        f"{section}[{index}] ({item_id}).broader", f"unknown {kind} {parent!r}"
                    )
        try:
            return _closure(dict(items))
        except ValueError as exc:
            raise VocabularyError(self.source, section, str(exc)) from None

    def _check_drug_classes(self, drug_classes: Sequence[DrugClass]) -> None:
        """A drug is listed once in each line of classes, in the most specific one; classes
        that do not contain one another may share it (clonazepam is a benzodiazepine and an
        antiepileptic, ATC N03AE01)."""
        members: dict[str, list[str]] = {}
        for index, drug_class in enumerate(drug_classes):
            where = f"drug_classes[{index}] ({drug_class.id})"
            if drug_class.local_form is not None and drug_class.local_form not in self.drug_classes:
                self._fail(f"{where}.local_form", f"unknown drug class {drug_class.local_form!r}")
            for member in drug_class.members:
                for other in members.get(member, []):
                    if self._related_classes(other, drug_class.id):
                        self._fail(
                            f"{where}.members",
                            f"{member!r} is already a member of {other} "
                            "(list a drug once, in its most specific class)",
                        )
                members.setdefault(member, []).append(drug_class.id)

    def _related_classes(self, first: str, second: str) -> bool:
        """The same class, or one a broader class of the other."""
        return (
            first == second
            or first in self._class_ancestors[second]
            or second in self._class_ancestors[first]
        )

    def check_codes(self) -> None:
        """Check every code entry against the ICD-10-CM tree (imports simple-icd-10-cm).

        Each entry must be an item of the package, a block one with codes under it; `exclude`
        entries must lie inside `icd10`, history codes outside it (or excluded), `refuted_by`
        inside the codes of the concept or its descendants. Raises VocabularyError naming the
        concept, the field and the entry.
        """
        for index, concept in enumerate(self.concepts.values()):
            where = f"concepts[{index}] ({concept.id})"
            for key in ("icd10", "exclude", "history_codes", "refuted_by"):
                for pattern in getattr(concept, key):
                    problem = pattern.problem()
                    if problem:
                        self._fail(f"{where}.{key}", problem)
            self._check_concept_codes(concept, where)
        self._codes_checked = True

    def _check_concept_codes(self, concept: Concept, where: str) -> None:
        for pattern in concept.exclude:
            if not any(pattern.within(own) for own in concept.icd10):
                self._fail(
                    f"{where}.exclude", f"{pattern.text} lies outside the concept's icd10 codes"
                )
        for pattern in concept.history_codes:
            overlapping = [own for own in concept.icd10 if own.overlaps(pattern)]
            if overlapping and not any(pattern.within(x) for x in concept.exclude):
                self._fail(
                    f"{where}.history_codes",
                    f"{pattern.text} is also a present code ({overlapping[0].text}); exclude it",
                )
        own = self._extension[concept.id][0]
        for pattern in concept.refuted_by:
            if not any(pattern.within(code) for code in own):
                self._fail(
                    f"{where}.refuted_by",
                    f"{pattern.text} lies outside the codes of the concept and its "
                    "narrower concepts",
                )

    def _ensure_codes_checked(self) -> None:
        if not self._codes_checked:
            self.check_codes()

    # ------------------------------------------------------------ phrases

    def by_phrase(self, text: str) -> Concept | None:
        """The concept a phrase denotes (exact match, case and spacing ignored), curated or
        generated."""
        key = normalize_phrase(text)
        return self._phrase_index.get(key) or self._generated_index.get(key)

    def phrases(self) -> list[tuple[str, str]]:
        """(phrase, concept id) pairs of the curated concepts, longest phrase first."""
        pairs = [(phrase, concept.id) for phrase, concept in self._phrase_index.items()]
        return sorted(pairs, key=lambda pair: (-len(pair[0]), pair[0]))

    def generated_phrases(self) -> list[tuple[str, str]]:
        """(phrase, concept id) pairs of the generated concepts no curated phrase took."""
        pairs = [(phrase, concept.id) for phrase, concept in self._generated_index.items()]
        return sorted(pairs, key=lambda pair: (-len(pair[0]), pair[0]))

    def drug_class_by_phrase(self, text: str) -> DrugClass | None:
        """The drug class a phrase denotes (exact match, case and spacing ignored)."""
        return self._class_phrase_index.get(normalize_phrase(text))

    def drug_class_phrases(self) -> list[tuple[str, str]]:
        """(phrase, drug class id) pairs, longest phrase first."""
        pairs = [(phrase, dc.id) for phrase, dc in self._class_phrase_index.items()]
        return sorted(pairs, key=lambda pair: (-len(pair[0]), pair[0]))

    def procedure_by_phrase(self, text: str) -> ProcedureKind | None:
        """The procedure a phrase denotes (exact match, case and spacing ignored)."""
        return self._procedure_phrase_index.get(normalize_phrase(text))

    def procedure_phrases(self) -> list[tuple[str, str]]:
        """(phrase, procedure id) pairs, longest phrase first."""
        pairs = [(phrase, p.id) for phrase, p in self._procedure_phrase_index.items()]
        return sorted(pairs, key=lambda pair: (-len(pair[0]), pair[0]))

    # ------------------------------------------------------------ hierarchy

    def _concept(self, concept_id: str) -> Concept:
        try:
            return self.concepts[concept_id]
        except KeyError:
            raise KeyError(f"unknown concept {concept_id!r}") from None

    def ancestors(self, concept_id: str) -> set[str]:
        """All broader concepts, transitively, without the concept itself."""
        self._concept(concept_id)
        return set(self._ancestors[concept_id])

    def descendants(self, concept_id: str) -> set[str]:
        """All narrower concepts, transitively, without the concept itself."""
        self._concept(concept_id)
        return set(self._descendants[concept_id])

    def _with_ancestors(self, ids: Iterable[str]) -> frozenset[str]:
        found = set(ids)
        for cid in list(found):
            found |= self._ancestors[cid]
        return frozenset(found)

    # ------------------------------------------------------------ codes

    def _find_own_status(self, concept_id: str, code: str) -> tuple[bool, bool]:
        self._ensure_codes_checked()
        return self.concepts[concept_id].own_status(code)

    def contains(self, concept_id: str, code: str) -> bool:
        """Whether the concept's own codes contain a code (memoised per concept and code)."""
        self._concept(concept_id)
        key = icd_key(code)
        return key is not None and self._own_status(concept_id, key)[0]

    def _code_index(self, code: str) -> tuple[frozenset[str], frozenset[str]]:
        """(concepts the code denotes, concepts it is a history code of), with ancestors.

        `code` is in the package's spelling (`icd_key`).
        """
        cached = self._code_cache.get(code)
        if cached is None:
            self._ensure_codes_checked()
            item = icd10cm.nearest(code)
            above = icd10cm.lineage(item) if item else frozenset()
            candidates = {cid for entry in above for cid in self._listed_by.get(entry, ())}
            found = {cid: self._own_status(cid, code) for cid in candidates}
            current = [cid for cid, (present, _) in found.items() if present]
            history = [cid for cid, (_, past) in found.items() if past]
            cached = (self._with_ancestors(current), self._with_ancestors(history))
            self._code_cache[code] = cached
        return cached

    def code_concepts(self, code: str) -> set[str]:
        """Concepts whose codes contain an ICD-10-CM code, with their ancestors.

        Empty for a malformed code.
        """
        key = icd_key(code)
        return set(self._code_index(key)[0]) if key else set()

    def history_concepts(self, code: str) -> set[str]:
        """Concepts the code is a history code of (Z94.4: transplant_liver), with ancestors."""
        key = icd_key(code)
        return set(self._code_index(key)[1]) if key else set()

    def is_history_code(self, code: str, concept_id: str) -> bool:
        """Whether the code says the concept (or a narrower one) is in the past."""
        self._concept(concept_id)
        return concept_id in self.history_concepts(code)

    # ------------------------------------------------------------ patient entries

    def _denotations(
        self, name: str | None, code: str | None
    ) -> tuple[frozenset[str], frozenset[str]]:
        """(current concepts, history-only concepts) of an entry, with ancestors.

        A history code outranks the name: "breast cancer" coded Z85.3 is a history.
        """
        current: frozenset[str] = frozenset()
        history: frozenset[str] = frozenset()
        key = icd_key(code) if code else None
        if key:
            current, history = self._code_index(key)
        concept = self.by_phrase(name) if name else None
        if concept is not None:
            current |= self._with_ancestors([concept.id]) - history
        return current, history - current

    def entry_concepts(self, name: str | None, code: str | None) -> set[str]:
        """Every concept a condition entry denotes, by code and/or name, with ancestors.

        Includes the concepts its code is a history code of.
        """
        current, history = self._denotations(name, code)
        return set(current | history)

    def _covers(self, code: str, concept_id: str) -> bool:
        """Whether the code includes every code of the concept (so its absence rules it out).

        Never for a code the package does not know: its extent is unknown.
        """
        self._ensure_codes_checked()
        icd10, history = self._extension[concept_id]
        return any(
            patterns and all(p.covered_by(code) for p in patterns) for patterns in (icd10, history)
        )

    def _rules_out(self, name: str | None, code: str | None, concept_id: str) -> bool:
        """Whether an absent entry rules the concept out: it names the concept or an
        ancestor, or (for a curated concept) its code covers every code of one of them.

        A generated concept is ruled out by name only: an ICD-10-CM title may name a
        condition the list also codes elsewhere (G47.0 "Insomnia"; nonorganic insomnia is
        F51.0), so no absent code, its own or an ancestor's, says the patient is free of it.
        """
        targets = {concept_id} | self._ancestors[concept_id]
        concept = self.by_phrase(name) if name else None
        if concept is not None and concept.id in targets:
            return True
        if concept_id not in self.curated:
            return False
        key = icd_key(code) if code else None
        return key is not None and any(self._covers(key, target) for target in targets)

    def _refuted_together(self, concept_id: str, refuted: Sequence[tuple[str, E]]) -> list[E]:
        """The absent entries (`icd_key` code, entry) that between them refute every code of
        the `refuted_by` set of the concept or of an ancestor; empty when none does."""
        for target in sorted({concept_id} | self._ancestors[concept_id]):
            required = self.concepts[target].refuted_by
            found = [[e for code, e in refuted if p.covered_by(code)] for p in required]
            if required and all(found):
                used = {id(e) for group in found for e in group}
                return [e for _, e in refuted if id(e) in used]
        return []

    def match(self, concept_id: str, entries: Iterable[E]) -> MatchResult[E]:
        """The entries that say a concept is present, suspected, past, or absent."""
        self._concept(concept_id)
        buckets: dict[str, list[E]] = {status: [] for status in STATUSES}
        refuted: list[tuple[str, E]] = []  # absent codes that alone do not rule it out
        for entry in entries:
            status = _status(entry)
            code = _icd_code(entry)
            if status == "absent":
                key = icd_key(code) if code else None
                if self._rules_out(entry.name, code, concept_id):
                    buckets["absent"].append(entry)
                elif key is not None:
                    refuted.append((key, entry))
                continue
            current, history = self._denotations(entry.name, code)
            if concept_id in current:
                buckets[status].append(entry)
            elif concept_id in history and status in ("present", "resolved"):
                buckets["resolved"].append(entry)
        if not buckets["absent"] and concept_id in self.curated:
            buckets["absent"] = self._refuted_together(concept_id, refuted)
        return MatchResult(
            concept=concept_id,
            present=tuple(buckets["present"]),
            suspected=tuple(buckets["suspected"]),
            resolved=tuple(buckets["resolved"]),
            absent=tuple(buckets["absent"]),
        )

    # ------------------------------------------------------------ medications

    def medication_classes(
        self, name: str | None, drug_class: str | None = None, atc_code: str | None = None
    ) -> set[str]:
        """The drug classes of a medication entry, with their broader classes.

        An ATC code, when given and well formed, decides the ATC-defined classes and the
        name is not read (the code also tells the route). Otherwise a member drug named as
        a whole word of the name counts; a local form ("cream", "eye drops") moves it to
        the class's `local_form` class, or out of the class (a local class keeps it).
        A recorded drug class counts by id or phrase.
        """
        found: set[str] = set()
        atc = "".join(atc_code.split()).upper() if atc_code else ""
        if atc and _ATC.fullmatch(atc):
            found |= {d.id for d in self.drug_classes.values() if atc.startswith(d.atc)}
        elif name:
            text = normalize_phrase(name)
            local = self._local_words.search(text) is not None
            for class_id, pattern in self._member_patterns.items():
                if pattern.search(text) is None:
                    continue
                local_form = self.drug_classes[class_id].local_form
                if not local or class_id in self._local_classes:
                    found.add(class_id)
                elif local_form is not None:
                    found.add(local_form)
            named = self.drug_class_by_phrase(name)
            if named is not None:
                found.add(named.id)
        recorded = self._recorded_class(drug_class)
        if recorded is not None:
            found.add(recorded)
        for class_id in list(found):
            found |= self._class_ancestors[class_id]
        return found

    # ------------------------------------------------------------ procedures

    def _procedure_denotes(self, name: str | None, code: str | None) -> set[str]:
        """The procedures a procedure entry names itself, by SNOMED CT id or phrase."""
        found: set[str] = set()
        key = "".join(code.split()) if code else ""
        if key in self._procedure_codes:
            found.add(self._procedure_codes[key])
        named = self.procedure_by_phrase(name) if name else None
        if named is not None:
            found.add(named.id)
        return found

    def procedure_kinds(self, name: str | None, code: str | None = None) -> set[str]:
        """The procedures a patient's procedure entry denotes, with their broader ones."""
        found = self._procedure_denotes(name, code)
        for procedure_id in list(found):
            found |= self._procedure_ancestors[procedure_id]
        return found

    def procedure_broader(self, procedure_id: str) -> set[str]:
        """The broader procedures of one, transitively (surgery for major_surgery)."""
        if procedure_id not in self.procedures:
            raise KeyError(f"unknown procedure {procedure_id!r}")
        return set(self._procedure_ancestors[procedure_id])

    def procedure_ruled_out(self, name: str | None, code: str | None, procedure_id: str) -> bool:
        """Whether an entry known not done rules the procedure out: it names the procedure
        itself or a broader one ("no dialysis" rules out haemodialysis, not the reverse)."""
        if procedure_id not in self.procedures:
            raise KeyError(f"unknown procedure {procedure_id!r}")
        targets = {procedure_id} | self._procedure_ancestors[procedure_id]
        return bool(self._procedure_denotes(name, code) & targets)

    # ------------------------------------------------------------ procedure concepts

    def _procedure_concept(self, name: str | None) -> Concept | None:
        """The procedure concept (a transplant) a procedure entry names, by phrase."""
        concept = self.by_phrase(name) if name else None
        return concept if concept is not None and concept.procedure else None

    def procedure_concepts(self, name: str | None) -> set[str]:
        """The concepts a patient's procedure entry records (a transplant named "liver
        transplant": transplant_liver), with their ancestors; empty for any other entry."""
        concept = self._procedure_concept(name)
        return set(self._with_ancestors([concept.id])) if concept is not None else set()

    def procedure_concept_ruled_out(self, name: str | None, concept_id: str) -> bool:
        """Whether a procedure entry known not done rules the concept out: it names the
        concept or a broader one ("no stem cell transplant" rules out an allogeneic one)."""
        concept = self._procedure_concept(name)
        return concept is not None and concept.id in {concept_id} | self._ancestors[concept_id]

    def denied_classes(
        self, name: str | None, drug_class: str | None = None, atc_code: str | None = None
    ) -> set[str]:
        """The drug classes a medication entry recorded `absent` rules out.

        Only a class named as a whole is ruled out, with its narrower classes: by a phrase or
        id of the class, or by an ATC code that holds every code of the class. A member drug
        recorded not taken ("adalimumab: absent") says nothing of the other members, so it
        rules out no class but its own single-agent class, if it has one ("no TNF inhibitors"
        rules out the TNF inhibitors and not the immunosuppressants they belong to).
        """
        named: set[str] = set()
        atc = "".join(atc_code.split()).upper() if atc_code else ""
        if atc and _ATC.fullmatch(atc):
            named |= {
                d.id
                for d in self.drug_classes.values()
                if d.atc and all(code.startswith(atc) for code in d.atc)
            }
        elif name:
            by_name = self.drug_class_by_phrase(name)
            if by_name is not None:
                named.add(by_name.id)
        recorded = self._recorded_class(drug_class)
        if recorded is not None:
            named.add(recorded)
        return named.union(*(self._class_descendants[class_id] for class_id in named))

    def _recorded_class(self, drug_class: str | None) -> str | None:
        """The class a recorded `drug_class` field names, by id or phrase."""
        if not drug_class:
            return None
        key = normalize_phrase(drug_class)
        recorded = self.drug_classes.get(key.replace(" ", "_")) or self.drug_class_by_phrase(key)
        return recorded.id if recorded is not None else None


def _status(entry: EntryLike) -> str:
    raw: Any = entry.status
    value = raw.value if hasattr(raw, "value") else raw
    if value not in STATUSES:
        raise ValueError(f"condition status {value!r} is not one of {', '.join(STATUSES)}")
    return str(value)


def _icd_code(entry: EntryLike) -> str | None:
    """The entry's code when it is an ICD-10-CM code (an entry may name its code system)."""
    system = getattr(entry, "system", None)
    if system is not None and str(system).casefold() not in _ICD_SYSTEMS:
        return None
    return entry.code


# ---------------------------------------------------------------- loading


_CONCEPT_KEYS = {
    "id",
    "name",
    "phrases",
    "icd10",
    "exclude",
    "history_codes",
    "broader",
    "source",
    "note",
    "refuted_by",
    "procedure",
}
_CLASS_KEYS = {
    "id",
    "name",
    "phrases",
    "atc",
    "members",
    "broader",
    "local_form",
    "source",
    "note",
}
_PROCEDURE_KEYS = {"id", "name", "phrases", "snomed", "broader", "course", "source", "note"}


class _Reader:
    """Reads the YAML structure, raising VocabularyError that names the field."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, field_path: str, message: str) -> VocabularyError:
        return VocabularyError(self.source, field_path, message)

    def items(self, raw: dict[str, Any], key: str) -> list[dict[str, Any]]:
        value = raw.get(key, [])
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise self.fail(key, "must be a list of mappings")
        return value

    def text(self, item: dict[str, Any], key: str, where: str, required: bool = True) -> str:
        value = item.get(key)
        if value is None and not required:
            return ""
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"{where}.{key}", "must be a non-empty string")
        return " ".join(value.split())

    def texts(self, item: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
        value = item.get(key, [])
        if value is None:
            value = []
        if not isinstance(value, list):
            raise self.fail(f"{where}.{key}", "must be a list")
        for entry in value:
            if not isinstance(entry, str):
                raise self.fail(f"{where}.{key}", f"{entry!r} is not a string (quote it)")
        if len(set(value)) != len(value):
            raise self.fail(f"{where}.{key}", "lists an entry twice")
        return tuple(value)

    def phrases(self, item: dict[str, Any], where: str) -> tuple[str, ...]:
        phrases = self.texts(item, "phrases", where)
        if not phrases:
            raise self.fail(f"{where}.phrases", "needs at least one phrase")
        for phrase in phrases:
            if phrase != normalize_phrase(phrase):
                raise self.fail(
                    f"{where}.phrases", f"{phrase!r} must be lower-case with single spaces"
                )
        return phrases

    def codes(self, item: dict[str, Any], key: str, where: str) -> tuple[CodePattern, ...]:
        patterns = []
        for text in self.texts(item, key, where):
            try:
                patterns.append(CodePattern.parse(text))
            except ValueError as exc:
                raise self.fail(f"{where}.{key}", str(exc)) from None
        return tuple(patterns)

    def flag(self, item: dict[str, Any], key: str, where: str) -> bool:
        value = item.get(key, False)
        if not isinstance(value, bool):
            raise self.fail(f"{where}.{key}", "must be true or false")
        return value

    def check_keys(self, item: dict[str, Any], allowed: set[str], where: str) -> None:
        unknown = sorted(set(item) - allowed)
        if unknown:
            raise self.fail(where, f"unknown field {unknown[0]!r}")

    def identified(
        self, item: dict[str, Any], section: str, index: int, keys: set[str]
    ) -> tuple[str, str]:
        """An entry's checked keys and snake_case id, and where it is ("concepts[3] (hiv)")."""
        where = f"{section}[{index}]"
        self.check_keys(item, keys, where)
        entry_id = self.text(item, "id", where)
        if not _ID.fullmatch(entry_id):
            raise self.fail(f"{where}.id", f"{entry_id!r} is not a snake_case id")
        return entry_id, f"{where} ({entry_id})"

    def concept(self, index: int, item: dict[str, Any]) -> Concept:
        cid, where = self.identified(item, "concepts", index, _CONCEPT_KEYS)
        if "icd10" not in item:
            raise self.fail(where, "needs an icd10 list (empty when no code denotes it)")
        concept = Concept(
            id=cid,
            name=self.text(item, "name", where),
            phrases=self.phrases(item, where),
            icd10=self.codes(item, "icd10", where),
            exclude=self.codes(item, "exclude", where),
            history_codes=self.codes(item, "history_codes", where),
            broader=self.texts(item, "broader", where),
            source=self.text(item, "source", where, required=False),
            note=self.text(item, "note", where, required=False),
            refuted_by=self.codes(item, "refuted_by", where),
            procedure=self.flag(item, "procedure", where),
        )
        for pattern in concept.refuted_by:
            if pattern.is_block:
                raise self.fail(
                    f"{where}.refuted_by",
                    f"{pattern.text}: list single codes, not ranges of categories (blocks)",
                )
        return concept

    def drug_class(self, index: int, item: dict[str, Any]) -> DrugClass:
        cid, where = self.identified(item, "drug_classes", index, _CLASS_KEYS)
        atc = self.texts(item, "atc", where)
        for code in atc:
            if not _ATC.fullmatch(code):
                raise self.fail(f"{where}.atc", f"malformed ATC code {code!r}")
        members = self.texts(item, "members", where)
        for member in members:
            if member != normalize_phrase(member):
                raise self.fail(f"{where}.members", f"{member!r} must be lower-case")
        local_form = self.text(item, "local_form", where, required=False)
        return DrugClass(
            id=cid,
            name=self.text(item, "name", where),
            phrases=self.phrases(item, where),
            atc=atc,
            members=members,
            broader=self.texts(item, "broader", where),
            local_form=local_form or None,
            source=self.text(item, "source", where, required=False),
            note=self.text(item, "note", where, required=False),
        )

    def procedure(self, index: int, item: dict[str, Any]) -> ProcedureKind:
        pid, where = self.identified(item, "procedures", index, _PROCEDURE_KEYS)
        snomed = self.texts(item, "snomed", where)
        for code in snomed:
            if not _SNOMED_ID.fullmatch(code):
                raise self.fail(f"{where}.snomed", f"{code!r} is not a SNOMED CT concept id")
        course = self.flag(item, "course", where)
        return ProcedureKind(
            id=pid,
            name=self.text(item, "name", where),
            phrases=self.phrases(item, where),
            snomed=snomed,
            broader=self.texts(item, "broader", where),
            course=course,
            source=self.text(item, "source", where, required=False),
            note=self.text(item, "note", where, required=False),
        )


_GENERATED_HEADER = ["id", "codes", "broader", "name", "phrases"]


def load_generated(path: Path) -> list[Concept]:
    """The concepts of a file written by scripts/build_icd_vocabulary.py (icd_titles.tsv).

    Tab-separated, after `#` comment lines and a header: id, codes and broader ids
    (space-separated), the ICD-10-CM title, and phrases (separated by " | "). Read as data:
    the ICD-10-CM package is not imported (its codes are checked with the rest).
    """
    concepts: list[Concept] = []
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line]
    rows = [line.split("\t") for line in lines if not line.startswith("#")]
    if not rows or rows[0] != _GENERATED_HEADER:
        raise VocabularyError(path.name, "", f"must start with the header {_GENERATED_HEADER}")
    for number, row in enumerate(rows[1:], start=1):
        where = f"row {number}"
        if len(row) != len(_GENERATED_HEADER):
            raise VocabularyError(path.name, where, f"needs {len(_GENERATED_HEADER)} fields")
        cid, codes, broader, name, phrases = row
        if not _ID.fullmatch(cid):
            raise VocabularyError(path.name, where, f"{cid!r} is not a snake_case id")
        texts = tuple(phrases.split(" | ")) if phrases else ()
        for phrase in texts:
            if phrase != normalize_phrase(phrase):
                raise VocabularyError(path.name, where, f"phrase {phrase!r} is not normalised")
        try:
            patterns = tuple(CodePattern.parse(code) for code in codes.split())
        except ValueError as exc:
            raise VocabularyError(path.name, where, str(exc)) from None
        if not patterns:
            raise VocabularyError(path.name, where, "needs a code")
        concepts.append(
            Concept(
                id=cid,
                name=name,
                phrases=texts,
                icd10=patterns,
                broader=tuple(broader.split()),
                source=f"ICD-10-CM {' '.join(codes.split())} \"{name}\"",
                generated=True,
            )
        )
    return concepts


def load_vocabulary(
    path: Path, check_codes: bool = True, generated: Path | None = None
) -> Vocabulary:
    """Read and check a vocabulary file; raises VocabularyError naming the field.

    With `check_codes=False` the codes are checked against simple-icd-10-cm only when the
    first code is matched (importing the package takes seconds). `generated` names a file
    of concepts made from ICD-10-CM titles (`load_generated`) to add.
    """
    reader = _Reader(path.name)
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_SAFE_LOADER)
    except yaml.YAMLError as exc:
        raise reader.fail("", f"not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise reader.fail("", "must be a mapping with 'concepts' and 'drug_classes'")
    reader.check_keys(raw, {"concepts", "drug_classes", "procedures", "local_form_words"}, "")
    concepts = [reader.concept(i, item) for i, item in enumerate(reader.items(raw, "concepts"))]
    classes = [
        reader.drug_class(i, item) for i, item in enumerate(reader.items(raw, "drug_classes"))
    ]
    procedures = [
        reader.procedure(i, item) for i, item in enumerate(reader.items(raw, "procedures"))
    ]
    words = reader.texts(raw, "local_form_words", "local_form_words")
    extra = load_generated(generated) if generated is not None else []
    return Vocabulary(
        concepts,
        classes,
        words,
        source=path.name,
        check_codes=check_codes,
        procedures=procedures,
        generated=extra,
    )


# Codes are checked on the first code matched; tests/test_concepts.py checks them eagerly.
VOCABULARY = load_vocabulary(
    data_path("concepts.yaml"), check_codes=False, generated=data_path("icd_titles.tsv")
)
CONCEPTS: dict[str, Concept] = VOCABULARY.curated  # concepts.yaml
ALL_CONCEPTS: dict[str, Concept] = VOCABULARY.concepts  # with those of ICD-10-CM titles
DRUG_CLASSES: dict[str, DrugClass] = VOCABULARY.drug_classes
PROCEDURES: dict[str, ProcedureKind] = VOCABULARY.procedures

by_phrase = VOCABULARY.by_phrase
phrases = VOCABULARY.phrases
generated_phrases = VOCABULARY.generated_phrases
drug_class_by_phrase = VOCABULARY.drug_class_by_phrase
drug_class_phrases = VOCABULARY.drug_class_phrases
ancestors = VOCABULARY.ancestors
descendants = VOCABULARY.descendants
code_concepts = VOCABULARY.code_concepts
history_concepts = VOCABULARY.history_concepts
is_history_code = VOCABULARY.is_history_code
entry_concepts = VOCABULARY.entry_concepts
match = VOCABULARY.match
medication_classes = VOCABULARY.medication_classes
procedure_by_phrase = VOCABULARY.procedure_by_phrase
procedure_phrases = VOCABULARY.procedure_phrases
procedure_kinds = VOCABULARY.procedure_kinds
procedure_broader = VOCABULARY.procedure_broader
procedure_ruled_out = VOCABULARY.procedure_ruled_out
procedure_concepts = VOCABULARY.procedure_concepts
procedure_concept_ruled_out = VOCABULARY.procedure_concept_ruled_out
denied_classes = VOCABULARY.denied_classes
