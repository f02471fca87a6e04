"""Lists, conjunctions and scope: how the items of one criterion combine.

The item grammar parses spans; this module decides which spans, and how their
rules combine, without guessing:

- a span that parses whole is one item ("between 20 % and 40 %" keeps its "and");
- otherwise the span is split at top-level separators (, ; and or and/or), and
  neighbouring pieces are merged back into the largest spans that parse;
- bare commas take the conjunction that closes their list ("A, B, or C"); a list
  with no conjunction at all is a list of separate criteria of the section's
  kind (inclusion: all required; exclusion: any one excludes);
- `and` and `or` mixed at one level are ambiguous: three pieces give both
  bracketings as `readings`, which decide only where they agree; more is review;
- a leading "no" scopes over the list ("No A or B" = not (A or B)); "history of"
  distributes over the diagnoses of its list; a qualifier ("severe", "other")
  in front of a list may reach the first item or all of them: both readings;
- "HEAD (e.g. A, B)": each example suffices, and HEAD is kept as review when
  the grammar cannot read it; examples that do not compile make it all review;
- a piece that does not compile becomes a review leaf with its text, unless its
  text may restrict the whole list ("in patients with", "unless", ...), in which
  case the whole span is review.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from lark import Token

from screener import rules as r
from screener.compiler.alternatives import subgroup_alternative, subgroup_restriction
from screener.compiler.headings import HIGH_PRESSURE, defined_heading, states
from screener.compiler.items import Unaccounted, parse_item, restates, with_mode
from screener.compiler.lexicon import COMPARATOR_TYPES

_SEPARATORS = {"COMMA", "SEMI", "AND", "OR", "ANDOR", "NOR"}
_CONJUNCTIONS = {"AND", "OR", "ANDOR"}
# the words between two pieces of a list that open the second with "with" (", with", ", or with")
_WITH = re.compile(r"^[\s,;]*(?:(?:and|or|and/or)\s+)?with\b", re.IGNORECASE)
_CONJUNCTION_WORD = re.compile(r"\b(?:and|or)\b|&", re.IGNORECASE)
_NEGATIONS = {"NO", "NOT", "WITHOUT", "NEITHER"}
_SUSPECTED = r.ConditionMode.PRESENT_OR_SUSPECTED
_RESTRICTS_LIST = re.compile(
    r"\b(?:(?:in|for|among) (?:the )?(?:patients|subjects|participants|those|people|women|men"
    r"|individuals|cases)|if|unless|except\w*|when|whereas|respectively|only|otherwise"
    r"|exclud\w*|other than|apart from|provided|whichever|allow\w*|permit\w*|eligib\w*"
    r"|acceptable|may|can|relatives?|family|famil\w+|parents?|siblings?|mother|father"
    r"|donors?|partners?)\b",
    re.IGNORECASE,
)
_MEANING_CHANGERS = {"NO", "NOT", "WITHOUT", "NOR", "NEITHER"}
# a state an example must be in to count ("unstable conditions (e.g. heart failure)")
_STATE_IN_HEAD = re.compile(
    r"\b(?:unstable|uncontrolled|active|acute|severe|serious|significant|requir\w*|poorly"
    r"|inadequately|untreated|symptomatic|progressive|progressing|unresolved|decompensated"
    r"|ongoing|current|recent)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Separator:
    punctuation: str  # "," ";" or ""
    conjunction: str | None  # "and" | "or" | None


@dataclass
class Span:
    tokens: list[Token]
    text: str


class Builder:
    """Compiles the token spans of one criterion."""

    def __init__(self, text: str, kind: str) -> None:
        self.text = text
        self.default_conjunction = "or" if kind == "exclusion" else "and"
        self.root: list[Token] | None = None  # the whole criterion, once seen
        # "X that ...": id → (the rule X and review, X, review); the rule is kept so that
        # its id is never reused by another rule while this builder lives
        self.narrowed: dict[int, tuple[r.Rule, r.Rule, r.Rule]] = {}
        # "Women <uncompiled words>": rules that end in the review of an uncompiled clause,
        # by id, each kept for the same reason
        self.open_tails: dict[int, r.Rule] = {}
        self.reasons: list[str] = []

    # ------------------------------------------------------------ helpers
    def span_text(self, tokens: list[Token]) -> str:
        if not tokens:
            return ""
        start = tokens[0].start_pos or 0
        end = tokens[-1].end_pos or len(self.text)
        return self.text[start:end].strip(" ,;")

    def review(self, tokens: list[Token], reason: str) -> r.Review:
        self.reasons.append(reason)
        return r.Review(self.span_text(tokens))

    def narrowing(self, rule: r.Rule) -> tuple[r.Rule, r.Rule] | None:
        """(X, review) when `rule` is a diagnosis narrowed by words the grammar lacks."""
        entry = self.narrowed.get(id(rule))
        return (entry[1], entry[2]) if entry is not None and entry[0] is rule else None

    def has_open_tail(self, rule: r.Rule) -> bool:
        """Whether `rule` ends in an uncompiled clause (`with_open_tail`)."""
        return self.open_tails.get(id(rule)) is rule

    def gap(self, before: list[Token], after: list[Token]) -> str:
        """The text between two pieces (their separator)."""
        if not before or not after:
            return ""
        return self.text[before[-1].end_pos or 0 : after[0].start_pos or 0]

    def parse(self, tokens: list[Token]) -> r.Rule | None:
        result = parse_item(tokens, self.default_conjunction)
        if isinstance(result, Unaccounted):
            return None
        return result

    # ------------------------------------------------------------ entry
    def build(self, tokens: list[Token]) -> r.Rule:
        """The rule of a whole span (recursive)."""
        if not tokens:
            return self.review(tokens, "no words the grammar knows")
        tokens = _without_label(tokens)
        if self.root is None:
            joined = self.joined_to_neighbours(tokens)
            if joined is None:
                return self.review(tokens, "a conjunction that joins the next or last criterion")
            tokens = joined
        if not tokens:
            return self.review(tokens, "no words the grammar knows")
        whole = parse_item(tokens, self.default_conjunction, whole=self.root is None)
        if self.root is None:
            self.root = tokens
        if not isinstance(whole, Unaccounted):
            return whole
        for reading in (self.restated, self.defined, self.alternative, self.restricted):
            rule = reading(tokens)
            if rule is not None:
                return rule
        pieces, separators = _split(tokens)
        if len(pieces) == 1:
            return self.build_unit(tokens, whole.reason)
        return self.build_list(tokens, pieces, separators)

    def joined_to_neighbours(self, tokens: list[Token]) -> list[Token] | None:
        """A criterion opening or ending with a conjunction ("ANC ≥ 1.5 × 10^9/L AND") is joined
        to the criterion before or after it. The section joins its criteria the same way
        (inclusions all required, "and"; exclusions any one, "or"): that conjunction is
        dropped. The other one joins two criteria into one: None (review)."""
        own = {"and": {"AND"}, "or": {"OR", "ANDOR"}}[self.default_conjunction]
        # only a conjunction the text opens or ends with ("Known and untreated X" opens with a
        # dropped filler, not with "and")
        first = tokens[0].type in _CONJUNCTIONS and (tokens[0].start_pos or 0) == 0
        last = (
            len(tokens) > first
            and tokens[-1].type in _CONJUNCTIONS
            and not self.text[tokens[-1].end_pos or len(self.text) :].strip(" .,;:")
        )
        ends = [t for t, at_end in ((tokens[0], first), (tokens[-1], last)) if at_end]
        if any(t.type not in own for t in ends):
            return None
        return tokens[int(first) : len(tokens) - int(last)]

    def build_unit(self, tokens: list[Token], reason: str) -> r.Rule:
        """A span without top-level separators that did not parse whole."""
        defined = self.defined(tokens)
        if defined is not None:
            return defined
        examples = self.examples(tokens)
        if examples is not None:
            return examples
        prefixed = self.subject_prefix(tokens)
        if prefixed is not None:
            return prefixed
        embedded = self.embedded_age(tokens)
        if embedded is not None:
            return embedded
        narrowed = self.narrowed_diagnosis(tokens)
        if narrowed is not None:
            return narrowed
        return self.review(tokens, reason)

    def restated(self, tokens: list[Token]) -> r.Rule | None:
        """'ECOG performance status < 2 i.e. 0 or 1': a score's bound, said again.

        The restatement names the same score, or only values of the score before it. It is
        read only when both say the same of every value of the scale (items.restates);
        otherwise the text contradicts itself: review.
        """
        split = _restatement(tokens)
        if split is None:
            return None
        head, tail = split
        first = self.parse(head)
        scores = [t for t in head if t.type == "SCORE"]
        if first is None or len(scores) != 1:
            return None
        second = self.parse(tail if tail[0].type == "SCORE" else [scores[0], *tail])
        if second is None:
            return None
        if not restates(first, second):
            return self.review(tokens, "a restatement that does not say the same")
        return first

    def alternative(self, tokens: list[Token]) -> r.Rule | None:
        """'X ≤ 1.5 × ULN (≤ 3 × ULN for Gilbert)': the main bound, and the rest as review."""
        found = subgroup_alternative(tokens, self.default_conjunction, self.parse)
        if found is None:
            return None
        rest = self.review(found.rest, "a subgroup's own threshold or exemption")
        combined = (found.main, rest)
        return r.AnyOf(combined) if found.combine == "or" else r.AllOf(combined)

    def restricted(self, tokens: list[Token]) -> r.Rule | None:
        """'HbA1c ≤ 8% for patients with diabetes': the threshold binds only the subgroup."""
        found = subgroup_restriction(tokens, self.text, self.parse)
        if found is None:
            return None
        main, subgroup, written = found
        who = self.parse(subgroup)
        if who is not None and _names_current_use(who):
            # "LVEF ≥ 50 % for patients receiving anthracyclines": those who will receive
            # them in the study (an arm) as much as those on them now
            self.reasons.append("a subgroup by the drugs it receives, maybe in the study")
            who = r.Review(written)
        if who is None:
            self.reasons.append("a subgroup the grammar does not cover")
            who = r.Review(written)
        return r.for_subgroup(who, main, exclusion=self.default_conjunction == "or")

    def defined(self, tokens: list[Token]) -> r.Rule | None:
        """'Adequate renal function (CrCl ≥ 60 mL/min)': the definition's labs (headings.py)."""
        heading = defined_heading(tokens, self.text)
        if heading is None:
            return None
        if heading.verdict == "adequate" and self.default_conjunction == "or":
            return self.review(tokens, "an adequate-function heading among the exclusions")
        rule = self.build(heading.definition)
        if heading.verdict == HIGH_PRESSURE and not (
            states(rule, HIGH_PRESSURE) and self.same_in_either_kind(heading.definition, rule)
        ):  # not pressures above thresholds, or a bare list ("DBP > 100; SBP > 150") that
            return None  # joins by the section's kind: read as no heading
        if all(isinstance(leaf, r.Review) for leaf in r.leaves(rule)) or not states(
            rule, heading.verdict
        ):
            return self.review(tokens, "a heading whose definition is not all lab thresholds")
        return rule

    def same_in_either_kind(self, tokens: list[Token], rule: r.Rule) -> bool:
        """Whether the tokens build the same rule in an inclusion and in an exclusion."""
        other = Builder(self.text, "inclusion" if self.default_conjunction == "or" else "exclusion")
        return r.render(other.build(tokens)) == r.render(rule)

    def narrowed_diagnosis(self, tokens: list[Token]) -> r.Rule | None:
        """'X that requires treatment', 'X within 6 months': X and a person checks the rest.

        Only diagnoses, and only when the rest opens like a restriction and holds no
        word that could widen or flip the meaning: the rest then narrows X, so a
        patient without X is decided.
        """
        for cut in range(len(tokens) - 1, 0, -1):
            rest = tokens[cut:]
            if not _opens_restriction(rest[0]) or _may_widen(rest):
                continue
            if _TEMPORAL.search(self.span_text(rest)):
                return None  # a dated diagnosis: the language has no window on diagnoses yet
            head = self.parse(tokens[:cut])
            if head is not None and _diagnoses_only(head):
                tail = self.review(rest, "a restriction the grammar does not cover")
                narrowed = r.AllOf((head, tail))
                self.narrowed[id(narrowed)] = (narrowed, head, tail)
                return narrowed
        return None

    # ------------------------------------------------------------ lists
    def build_list(
        self, tokens: list[Token], pieces: list[list[Token]], separators: list[Separator]
    ) -> r.Rule:
        if any(p and p[0].type == "EG" for p in pieces):
            return self.review(tokens, "an example list outside parentheses")
        if pieces[0] and pieces[0][0].type == "EITHER":
            pieces[0] = pieces[0][1:]
        groups, group_separators = self.merge(pieces, separators)
        if len(groups) == 1:
            return self.build_group(groups[0])
        return self.list_rule(tokens, groups, group_separators)

    def list_rule(
        self, tokens: list[Token], groups: list[list[Token]], separators: list[Separator]
    ) -> r.Rule:
        """Groups joined by separators, honouring a leading negation, 'history of' or qualifier.

        A time window closing the list ("MI, stroke or angina within 6 months") may bound
        the last item or every item, and the two readings rarely agree: review.
        """
        if _closing_window(groups[-1]) is not None and any(
            _closing_window(g) is None for g in groups[:-1]
        ):
            return self.review(tokens, "a time window at the end may apply to every item")
        if _inner_window_reaches_back(groups, separators):
            return self.review(tokens, "a time window closing an inner list may apply to its items")
        if _opening_time_since(groups[0]) and not all(map(_opening_time_since, groups[1:])):
            return self.review(tokens, "a time since at the start may apply to every item")
        return self.list_rule_plain(tokens, groups, separators)

    def list_rule_plain(
        self, tokens: list[Token], groups: list[list[Token]], separators: list[Separator]
    ) -> r.Rule:
        """A list with its scope words and no window that may reach across its items."""
        leading = _leading_scope(groups[0])
        others_scoped = any(g[0].type in _NEGATIONS | {"HISTORY"} for g in groups[1:] if g)
        if leading and not others_scoped:
            scoped = self.scoped_list(tokens, groups, separators, leading[0].type)
            if scoped is not None:
                return scoped
        if _inner_scope_reaches_on(groups):
            return self.review(tokens, "'history of' or 'no' inside a list may reach on")
        if self.with_modifier(groups, separators):
            return self.review(tokens, "a part that reads as a modifier of its neighbour")
        checked = self.checked_rules(tokens, groups)
        if isinstance(checked, r.Review):
            return checked
        groups, rules, separators = self.trusted_word_lists(groups, checked, separators)
        if all(isinstance(rule, r.Review) for rule in rules):
            return self.review(tokens, "no part of the text compiles")
        rules = _per_sex(rules, separators, self.default_conjunction)
        if (
            r.has_review(rules[-1])
            and _TEMPORAL.search(self.span_text(groups[-1]))
            and groups[-1][0].type != "WORD"
        ):
            return self.review(tokens, "a time window at the end may apply to every item")
        if any(self.narrowing(rule) is not None for rule in rules[1:-1]):
            # "A, B, C requiring X; or D": the restriction may close the list A, B, C
            return self.review(tokens, "a restriction inside a list may apply to the items before")
        narrowed = self.narrowing(rules[-1])
        if narrowed is not None:
            head, tail = narrowed
            local = self.levels(tokens, rules, separators)
            wide = r.AllOf((self.levels(tokens, [*rules[:-1], head], separators), tail))
            return r.Readings((local, wide))  # the closing restriction: last item, or all?
        return self.levels(tokens, rules, separators)

    def with_modifier(self, groups: list[list[Token]], separators: list[Separator]) -> bool:
        """Whether one piece of a list, not the first, opens with the filler 'with'
        ("Hypertension, with stroke"; "Coagulation dysfunction (INR > 1.5), with bleeding
        tendency or thrombolysis") in a list joined by 'or': it may go on describing the piece
        before it (both at once) rather than name an alternative. An inclusion's list of
        requirements reads the same either way; several pieces opening with 'with' are
        parallel items ("on steroids, with uncontrolled diabetes, or with ...")."""
        gaps = [
            self.text[earlier[-1].end_pos or 0 : later[0].start_pos or 0]
            for earlier, later in itertools.pairwise(groups)
            if earlier and later
        ]
        opened = [gap for gap in gaps if _WITH.search(gap)]
        joined_by_or = self.default_conjunction == "or" or any(
            s.conjunction == "or" for s in separators
        )
        # "A or with B" names an item; so do parallel items ("on X, with Y, or with Z")
        return len(opened) == 1 and not _CONJUNCTION_WORD.search(opened[0]) and joined_by_or

    def checked_rules(
        self, tokens: list[Token], groups: list[list[Token]]
    ) -> list[r.Rule] | r.Review:
        """The rule of each piece, or one review when a piece that did not compile may
        change the meaning of the others (a scope that can reach the whole list)."""
        rules = [self.build_group(g) for g in groups]
        failed = [i for i, rule in enumerate(rules) if isinstance(rule, r.Review)]
        if len(failed) == len(groups):
            return self.review(tokens, "no part of the text compiles")
        if r.has_review(rules[0]) and any(t.type == "COLON" for t in groups[0]):
            # "females complaining of pelvic congestion: dysmenorrhea, dyspareunia, ..."
            return self.review(tokens, "an opening with a colon may govern the items after it")
        if any(
            self.has_open_tail(rule) and ";" not in self.gap(groups[i], groups[i + 1])
            for i, rule in enumerate(rules[:-1])
        ):
            # "Women of childbearing potential who are pregnant or lactating": the clause
            # the grammar does not read may govern the items after it (who are lactating);
            # a ';' ends it
            return self.review(tokens, "an uncompiled clause may govern the items after it")
        if not failed:
            return rules
        if any(_RESTRICTS_LIST.search(self.span_text(groups[i])) for i in failed):
            return self.review(tokens, "an uncompiled part may restrict the whole list")
        if any(self.examples_run_on(groups, rules, i) for i in failed):
            # "Hypertension or an uncontrolled illness including heart failure, arrhythmia,
            # or diabetes": the items after it may be its examples (uncontrolled ones)
            return self.review(tokens, "examples opened in a list may run on over its items")
        if any(i > 0 and self.reaches_back(groups[i - 1], groups[i]) for i in failed):
            # "History of stroke or heart attack with residual deficits": the deficits
            # may qualify the stroke too
            return self.review(tokens, "an uncompiled part's restriction may reach back")
        if any(_opens_like_modifier(groups[i]) for i in failed):
            return self.review(tokens, "a part that reads as a modifier of its neighbour")
        if any(i > 0 and _ATTRIBUTE.match(self.span_text(groups[i])) for i in failed):
            # "NSCLC, clinical stage IIIB or IV": the stage of the cancer, not another item
            return self.review(tokens, "a part that reads as an attribute of its neighbour")
        if failed[0] == 0:
            return self.review(tokens, "an uncompiled opening may govern the items after it")
        return rules

    def examples_run_on(self, groups: list[list[Token]], rules: list[r.Rule], index: int) -> bool:
        """Whether the uncompiled piece `index`, not the last, opens examples whose head the
        items after it may inherit: a head inside the piece ("an uncontrolled illness
        including A, B"), or the piece before when it carries more than a plain diagnosis
        (a qualifier, a window, 'history of': "severe infection within 4 weeks, including
        A, B"). Examples of a plain compiled head ("VTE, including PE or ...") are members
        of it, which the head's rule already covers."""
        if index == len(groups) - 1:
            return False
        opened = self.opens_examples(groups[index])
        if opened is None:
            return False
        if opened > 0 or index == 0:
            return True
        head = r.render(rules[index - 1])
        return any(mark in head for mark in ("qualified(", "review(", "within", "history("))

    def opens_examples(self, piece: list[Token]) -> int | None:
        """Where a piece opens examples outside parentheses ('such as', 'e.g.', 'including'
        but not 'inclusive', 'especially'), which may go on after it; None if it does not."""
        depth = 0
        for position, token in enumerate(piece):
            depth += token.type == "LPAR"
            depth -= token.type == "RPAR" and depth > 0
            if depth or token.type not in ("EG", "INCLUDING", "WORD"):
                continue
            word = self.text[token.start_pos or 0 : token.end_pos or 0].lower()
            if token.type == "EG" or _EXAMPLE_WORD.match(word):
                return position
        return None

    def reaches_back(self, before: list[Token], piece: list[Token]) -> bool:
        """Whether `piece` holds a restriction that may reach the items before it, read on
        the text from the end of the piece before (so with its "or any", which the tokens
        may have dropped)."""
        if not before or not piece:
            return False
        text = self.text[before[-1].end_pos or 0 : piece[-1].end_pos or 0]
        return bool(_REACHING_RESTRICTION.search(text)) and not _OWN_CATEGORY.search(
            self.text[: before[-1].end_pos or 0]
        )

    def trusted_word_lists(
        self, groups: list[list[Token]], rules: list[r.Rule], separators: list[Separator]
    ) -> tuple[list[list[Token]], list[r.Rule], list[Separator]]:
        """Pieces joined by a bare 'and'/'or' after a piece that did not compile.

        Without punctuation, a word-level conjunction may join parts of one noun phrase
        ("hospitalized male and female patients"): an uncompiled piece before compiled
        ones may govern them, and one after a partly compiled piece may continue its
        clause ("pneumonia which requires hospitalization and ..."): such a run becomes
        one review item. An uncompiled piece at the end of fully compiled ones
        ("pregnancy or planned pregnancy") is an item of its own.
        """
        runs: list[list[int]] = [[0]]
        between: list[Separator] = []
        for index, separator in enumerate(separators):
            if _strength(separator) == 0:
                runs[-1].append(index + 1)
            else:
                runs.append([index + 1])
                between.append(separator)
        new_groups: list[list[Token]] = []
        new_rules: list[r.Rule] = []
        new_separators: list[Separator] = []
        for number, run in enumerate(runs):
            failed = [k for k in run if isinstance(rules[k], r.Review)]
            compiled = [k for k in run if not isinstance(rules[k], r.Review)]
            if (
                failed
                and compiled
                and (min(failed) < max(compiled) or any(r.has_review(rules[k]) for k in compiled))
            ):
                joined = _join(groups, separators, run[0], run[-1])
                new_groups.append(joined)
                new_rules.append(
                    self.review(joined, "an 'and'/'or' between words that may belong to one phrase")
                )
            else:
                for position, k in enumerate(run):
                    new_groups.append(groups[k])
                    new_rules.append(rules[k])
                    if position < len(run) - 1:
                        new_separators.append(separators[k])
            if number < len(between):
                new_separators.append(between[number])
        return new_groups, new_rules, new_separators

    def levels(
        self, tokens: list[Token], rules: list[r.Rule], separators: list[Separator]
    ) -> r.Rule:
        """Combine by punctuation level: ';' separates more than ',' and ',' more than a word.

        Separators without a conjunction join a list of separate criteria of the section's
        kind; "A, B or C" is one list closed by its conjunction. An explicit conjunction
        at a strong level over an implicit list below it ("A, B; or C") relies on
        punctuation alone: every bracketing is kept as a reading (or review).
        """
        if len(rules) == 1:
            return rules[0]
        strength = max(_strength(s) for s in separators)
        parts: list[list[r.Rule]] = [[rules[0]]]
        inner: list[list[Separator]] = [[]]
        top: list[Separator] = []
        for rule, separator in zip(rules[1:], separators, strict=True):
            if _strength(separator) == strength:
                top.append(separator)
                parts.append([rule])
                inner.append([])
            else:
                parts[-1].append(rule)
                inner[-1].append(separator)
        explicit = {s.conjunction for s in top if s.conjunction}
        last_inner = {s.conjunction for s in inner[-1]}
        if (
            not explicit
            and strength == 1
            and all(len(p) == 1 for p in parts[:-1])
            and len(last_inner) == 1
            and None not in last_inner
        ):
            conjunction = last_inner.pop()  # "A, B or C": a serial list
            assert conjunction is not None
            return self.join([rule for part in parts for rule in part], conjunction)
        implicit_below = any(s.conjunction is None for group in inner for s in group)
        if len(explicit) > 1 or (
            explicit and implicit_below and explicit != {self.default_conjunction}
        ):
            flat = [s.conjunction or self.default_conjunction for s in separators]
            return self.combine(tokens, rules, flat)
        children = [
            self.levels(tokens, part, seps) for part, seps in zip(parts, inner, strict=True)
        ]
        if explicit:
            return self.join(children, explicit.pop())
        return self.join_bare(children)

    def join(self, rules: list[r.Rule], conjunction: str) -> r.Rule:
        """Join by a conjunction written in the text.

        In an exclusion, "A and B" may mean both or either ("HIV and hepatitis B"):
        both readings, decided only where they agree.
        """
        if conjunction == "and" and self.default_conjunction == "or" and len(rules) > 1:
            return r.Readings((r.conjunction(rules), r.disjunction(rules)))
        return _join_rules(rules, conjunction)

    def join_bare(self, rules: list[r.Rule]) -> r.Rule:
        """Join a list with no conjunction written, by the kind's own.

        An inclusion's bare list of diagnoses ("Hypertension, dyslipidemia, sleep apnoea")
        may ask for all of them or for any one: both readings.
        """
        if self.default_conjunction == "and" and _may_list_alternatives(rules):
            return r.Readings((_join_rules(rules, "and"), _join_rules(rules, "or")))
        return _join_rules(rules, self.default_conjunction)

    def build_group(self, group: list[Token]) -> r.Rule:
        rule = self.parse(group)
        if rule is not None:
            return rule
        return self.build_unit(group, "a part the grammar does not cover")

    def merge(
        self, pieces: list[list[Token]], separators: list[Separator]
    ) -> tuple[list[list[Token]], list[Separator]]:
        """Join neighbouring pieces into the largest spans that parse whole."""
        groups: list[list[Token]] = []
        group_separators: list[Separator] = []
        i = 0
        while i < len(pieces):
            end = i
            for j in range(len(pieces) - 1, i, -1):
                joined = _join(pieces, separators, i, j)
                if self.parse(joined) is not None:
                    end = j
                    break
            groups.append(_join(pieces, separators, i, end))
            if end < len(separators):
                group_separators.append(separators[end])
            i = end + 1
        return groups, group_separators

    def conjunctions(self, separators: list[Separator]) -> list[str]:
        """Each separator's conjunction; a bare one takes the one closing its list.

        A bare ',' is closed by a later ', or' or plain 'or'; a bare ';' only by '; or'.
        A stronger separator in between ends the list.
        """
        result: list[str] = []
        for index, separator in enumerate(separators):
            if separator.conjunction:
                result.append(separator.conjunction)
                continue
            closing = None
            for later in separators[index + 1 :]:
                if _strength(later) > _strength(separator):
                    break
                if later.conjunction and (_strength(separator) < 2 or _strength(later) == 2):
                    closing = later.conjunction
                    break
            result.append(closing or self.default_conjunction)
        return result

    def combine(self, tokens: list[Token], rules: list[r.Rule], conjunctions: list[str]) -> r.Rule:
        if len(set(conjunctions)) == 1:
            return _join_rules(rules, conjunctions[0])
        if len(rules) == 3:
            first, second = conjunctions
            left = _join_rules([_join_rules(rules[:2], first), rules[2]], second)
            right = _join_rules([rules[0], _join_rules(rules[1:], second)], first)
            return r.Readings((left, right))
        return self.review(tokens, "'and' and 'or' mixed without parentheses")

    def scoped_list(
        self,
        tokens: list[Token],
        groups: list[list[Token]],
        separators: list[Separator],
        scope: str,
    ) -> r.Rule | None:
        """A list under a leading negation, 'history of' or qualifier (see the module doc)."""
        family = _NEGATIONS if scope in _NEGATIONS else {scope}
        count = next((i for i, t in enumerate(groups[0]) if t.type not in family), len(groups[0]))
        first = groups[0][count:]
        if not first:
            return None
        body = [first, *groups[1:]]
        if scope in _NEGATIONS:
            if any(s.conjunction == "and" for s in separators):
                return self.review(tokens, "'no A and B' leaves the scope of 'no' open")
            # under "no", a list names alternatives: "no A, B or C" is none of them
            alternatives: list[Separator] = [
                _RawSeparator(s.punctuation, "or", getattr(s, "tokens", ())) for s in separators
            ]
            inner = self.list_rule(tokens, body, alternatives)
            if r.leaves(inner) and all(isinstance(x, r.Review) for x in r.leaves(inner)):
                return self.review(tokens, "no part of the text compiles")
            return r.Not(inner)
        if scope == "HISTORY":
            inner = self.list_rule(tokens, body, separators)
            historic = with_mode(inner, r.ConditionMode.HISTORY)
            if historic is None:
                return self.review(tokens, "'history of' in front of a non-diagnosis")
            if any(_PRESENT_TIME.match(self.span_text(g)) for g in groups[1:]):
                # "History of HIV or current tuberculosis": the item's own "current" may
                # say that it, unlike the history before it, counts only now
                return self.history_first_only(tokens, groups, inner, historic)
            return historic
        own = [bool(g) and g[0].type == scope for g in groups[1:]]
        conjunctions = self.conjunctions(separators)
        if all(own) or (any(own) and "and" in conjunctions):
            # every item carries its own qualifier; or some do and "and" joins them, which
            # the plain list reads (in an exclusion, "and" may mean any one of them)
            return None
        if len(set(conjunctions)) != 1:
            return self.review(tokens, "a qualified list with mixed conjunctions")
        conjunction = conjunctions[0]
        checked = self.checked_rules(tokens, body)
        if isinstance(checked, r.Review):
            return checked
        rules = checked
        qualifier = " ".join(str(t) for t in groups[0][:count])

        def qualify(rule: r.Rule) -> r.Rule:
            if isinstance(rule, r.Review):
                return rule
            if scope == "OR_SUSPECTED":  # "known or suspected A or B" (it never governs a lab)
                return with_mode(rule, _SUSPECTED) or rule
            return r.Qualified(qualifier, rule)

        # an item with a qualifier of its own ("refractory nausea, vomiting, chronic
        # gastritis") keeps it; the leading one may still reach the items without one
        later = [x if mine else qualify(x) for x, mine in zip(rules[1:], own, strict=True)]

        def joined(items: list[r.Rule]) -> r.Rule:
            """As the unqualified list would join them ("and" may mean any one)."""
            if any(s.conjunction for s in separators):
                return self.join(items, conjunction)
            return self.join_bare(items)

        every = joined([qualify(rules[0]), *later])
        first_only = joined([qualify(rules[0]), *rules[1:]])
        return r.readings((every, first_only))

    def history_first_only(
        self, tokens: list[Token], groups: list[list[Token]], inner: r.Rule, historic: r.Rule
    ) -> r.Rule:
        """'History of HIV or active tuberculosis': 'history of' over every item, or over
        the first only (the others as written, in their own time): both readings, when the
        list is one flat list of its items; otherwise review."""
        if not (isinstance(inner, r.AnyOf | r.AllOf) and len(inner.items) == len(groups)):
            return self.review(tokens, "an item of its own time in a 'history of' list")
        first = with_mode(inner.items[0], r.ConditionMode.HISTORY)
        if first is None:
            return self.review(tokens, "an item of its own time in a 'history of' list")
        first_only = type(inner)((first, *inner.items[1:]))
        return r.readings((historic, first_only))

    # ------------------------------------------------------------ units
    def examples(self, tokens: list[Token]) -> r.Rule | None:
        """HEAD (e.g. A, B, etc.): any example suffices; HEAD stays review if unread, and
        then an example counts only in a state an unread HEAD names (`qualified`)."""
        if len(tokens) < 4 or tokens[-1].type != "RPAR":
            return None
        depth = 0
        open_at = None
        for index in range(len(tokens) - 1, -1, -1):
            kind = tokens[index].type
            depth += kind == "RPAR"
            depth -= kind == "LPAR"
            if depth == 0:
                open_at = index
                break
        if open_at is None or open_at == 0 or tokens[open_at + 1].type != "EG":
            return None
        head = tokens[:open_at]
        if head[0].type in _NEGATIONS | {"QUALIFIER", "HISTORY"}:
            return None
        inner = [t for t in tokens[open_at + 2 : -1] if t.type != "ETC"]
        while inner and inner[0].type == "COMMA":
            inner = inner[1:]
        while inner and inner[-1].type in _SEPARATORS:
            inner = inner[:-1]
        if not inner:
            return None
        pieces, separators = _split(inner)
        groups, _ = self.merge(pieces, separators)
        example_rules = [self.parse(g) for g in groups]
        if any(rule is None for rule in example_rules):
            return None
        found = [rule for rule in example_rules if rule is not None]
        head_rule = self.parse(head)
        if head_rule is None:
            self.reasons.append("the heading of the examples needs a person")
            head_text = self.span_text(head)
            if _STATE_IN_HEAD.search(head_text) or any(t.type == "QUALIFIER" for t in head):
                # "Medically unstable conditions (e.g. heart failure)": an example counts
                # only in the state the head asks for (a stable heart failure is no instance)
                found = [r.Qualified(head_text, rule) for rule in found]
            head_rule = r.Review(head_text)
        return r.disjunction([*found, head_rule])

    def subject_prefix(self, tokens: list[Token]) -> r.Rule | None:
        """'Women aged 25-60 <more>': the sex/age prefix and the rest as review."""
        if not tokens or tokens[0].type not in ("FEMALE", "MALE", "AGE"):
            return None
        for cut in range(min(len(tokens) - 1, 12), 0, -1):
            rest = tokens[cut:]
            if rest[0].type in _MEANING_CHANGERS | _SEPARATORS:
                continue
            if _offers_alternative(rest):
                continue
            if str(rest[0]).lower() in _AGE_EVENT_WORDS and tokens[0].type == "AGE":
                return None  # "aged 18-65 at diagnosis": the age at an event
            prefix = self.parse(tokens[:cut])
            if prefix is not None and all(
                isinstance(leaf, r.Sex)
                or (isinstance(leaf, r.Compare | r.Between) and isinstance(leaf.subject, r.Age))
                for leaf in r.leaves(prefix)
            ):
                if _RESTRICTS_LIST.search(self.span_text(rest)) or _notes_the_bound(rest):
                    return None  # "Age > 18 years (inclusive)": a note on the bound, not more
                if _sex_and_more(prefix) and any(t.type in _SEXES for t in rest):
                    return None  # "Male aged 2-20 years Female aged 2-11 years": each sex its own
                if (
                    self.default_conjunction == "and"
                    and _sex_only(prefix)
                    and (
                        _states_its_own_measure(rest)
                        or _REQUIREMENT_ON_SEX.search(self.span_text(rest))
                    )
                ):
                    # "Men: hemoglobin ≥ 13 g/dL", "Woman CrCl = (140 - age) × ...": what holds
                    # for that sex, not a requirement to be of it (an exclusion's "women with
                    # Hb < 11" does exclude only women with it)
                    return None
                return self.with_open_tail(
                    r.conjunction([prefix, self.review(rest, "a part the grammar does not cover")])
                )
        return None

    def with_open_tail(self, rule: r.Rule) -> r.Rule:
        """Mark a rule whose last words are an uncompiled clause ("women of childbearing
        potential who are pregnant"): in a list, the clause may go on over the items after
        it ("... who are pregnant or lactating"), see `checked_rules`."""
        self.open_tails[id(rule)] = rule
        return rule

    def embedded_age(self, tokens: list[Token]) -> r.Rule | None:
        """'General adult psychiatry patients aged 18 to 65': the age, and the words that
        describe the patients around it as review; a person must confirm both.

        Only when the words before the age end by naming the patients (so "gestational
        age", "age at diagnosis" or a donor's age are never read as the patient's) and
        nothing around it restricts, excepts or negates.
        """
        for start, token in enumerate(tokens):
            if token.type not in _AGE_OPENERS or start == 0:
                continue
            before = tokens[:start]
            if not _SUBJECT_NOUN_END.search(self.text[: token.start_pos or 0]):
                continue
            if any(t.type != "WORD" for t in before):
                return None  # a sex, a diagnosis or a negation before the age: not a description
            for end in range(min(len(tokens), start + 12), start, -1):
                inner = tokens[start:end]
                if token.type == "LPAR":  # "adult (>18 years) patients": years of a person
                    if inner[-1].type != "RPAR" or len(inner) < 3:
                        continue
                    parsed = parse_item(inner[1:-1], self.default_conjunction, whole=True)
                    age = None if isinstance(parsed, Unaccounted) else parsed
                else:
                    age = self.parse(inner)
                if age is None or not _age_only(age):
                    continue
                after = tokens[end:]
                if after and (
                    after[0].type in _AFTER_AGE_BLOCKERS
                    or str(after[0]).lower() in _AGE_EVENT_WORDS
                    or _notes_the_bound(after)
                ):
                    return None
                around = self.span_text(before) + " " + self.span_text(after)
                if _RESTRICTS_LIST.search(around) or _COHORT.search(around):
                    return None
                parts: list[r.Rule] = [self.review(before, "words describing the patients"), age]
                if not after:
                    return r.conjunction(parts)
                parts.append(self.review(after, "a part the grammar does not cover"))
                return self.with_open_tail(r.conjunction(parts))
            return None
        return None


_AGE_OPENERS = {"AGE", "LPAR", "GE", "GT", "LE", "LT", "OVER", "UNDER", "BETWEEN", "NUMBER"}
_SUBJECT_NOUN_END = re.compile(
    r"\b(?:patients?|subjects?|participants?|individuals?|persons?|people|adults?|children"
    r"|child|adolescents?|volunteers?|men|women|males?|females?|boys|girls|infants?"
    r"|outpatients?|inpatients?)\s*\(?\s*$",
    re.IGNORECASE,
)
_SEXES = {"FEMALE", "MALE", "SEX_ANY"}


def _sex_and_more(rule: r.Rule) -> bool:
    """Whether a rule names a sex and something else ('male and age in [2, 20] years')."""
    return not _sex_only(rule) and any(isinstance(leaf, r.Sex) for leaf in r.leaves(rule))


def _notes_the_bound(tokens: list[Token]) -> bool:
    """Whether the tokens open with a note on the bound before them ('inclusive', '(inclusive)',
    'or older')."""
    types = [t.type for t in tokens[:2]]
    return types[0] in ("INCLUDING", "OR_OLDER", "OR_YOUNGER") or types == ["LPAR", "INCLUDING"]


def _inner_scope_reaches_on(groups: list[list[Token]]) -> bool:
    """'A, history of B or C': a scope word opening an inner item may reach the items after
    it (history of C too), unless each of those carries a scope word of its own."""
    scopes = _NEGATIONS | {"HISTORY"}
    for index, group in enumerate(groups[1:-1], start=1):
        if group and group[0].type in scopes:
            later = [g for g in groups[index + 1 :] if g]
            return any(g[0].type not in scopes for g in later)
    return False


_AFTER_AGE_BLOCKERS = {"WITHIN", "PRIOR", "ANCHOR", "AT_SCREENING", "COLON", "TO", "FROM"}
_AGE_EVENT_WORDS = {"at", "of", "on", "when", "during", "before", "after", "since", "until", "in",
                    "for", "by", "upon"}
_COHORT = re.compile(r"\b(?:arms?|cohorts?|groups?|parts?|phases?|stages?|steps?)\b", re.I)


def _sex_only(rule: r.Rule) -> bool:
    return all(isinstance(leaf, r.Sex) for leaf in r.leaves(rule))


# what an inclusion may ask of patients of one sex in a trial of both ("Women of
# childbearing potential must have a negative pregnancy test", "female patients have
# adequate birth control"): failing every man on it would be a wrong rule
_REQUIREMENT_ON_SEX = re.compile(
    r"\b(?:must|should|shall|needs?|ha(?:ve|s) to|agrees?|willing|will|if|when|unless"
    r"|child-?bearing|reproductive|wocbp|contracept\w*|birth[- ]control|pregnancy test\w*"
    r"|serum pregnancy|urine pregnancy|negative|steril\w*|menopaus\w*|postmenopaus\w*)\b",
    re.IGNORECASE,
)


def _states_its_own_measure(tokens: list[Token]) -> bool:
    return tokens[0].type == "COLON" or any(
        t.type in ("ANALYTE", "SCORE", "GE", "LE", "GT", "LT", "EQ", "OVER", "UNDER", "NUMBER")
        for t in tokens
    )


def _sex_led(rule: r.Rule) -> r.Sex | None:
    """The sex a piece of a list opens with ("men aged ≥ 50" → male), if any."""
    if isinstance(rule, r.AllOf) and isinstance(rule.items[0], r.Sex):
        return rule.items[0]
    return None


def _per_sex(rules: list[r.Rule], separators: list[Separator], conjunction: str) -> list[r.Rule]:
    """'Men aged ≥ 50, women aged ≥ 55' in an inclusion: each piece binds its own sex.

    Read as "male and ..." and "female and ...", all required, the list could be met by
    no one; each sex-led piece is then `implies(sex; rest)`. An exclusion's list ("men
    with Hb < 13, women with Hb < 12") is already right: any one piece excludes.
    """
    sexes = {sex.value for sex in map(_sex_led, rules) if sex is not None}
    joined_by_or = any(s.conjunction in ("or", "and/or") for s in separators)
    if len(sexes) < 2 or conjunction != "and" or joined_by_or:
        return rules
    rewritten: list[r.Rule] = []
    for rule in rules:
        sex = _sex_led(rule)
        if sex is not None and isinstance(rule, r.AllOf):
            rule = r.Implies(sex, r.conjunction(rule.items[1:]))
        rewritten.append(rule)
    return rewritten


def _age_only(rule: r.Rule) -> bool:
    return all(
        isinstance(leaf, r.Compare | r.Between) and isinstance(leaf.subject, r.Age)
        for leaf in r.leaves(rule)
    ) and not isinstance(rule, r.Not | r.Readings)


_RESTRICTION_WORDS = {
    "that",
    "which",
    "whose",
    "requiring",
    "required",
    "defined",
    "diagnosed",
    "documented",
    "according",
    "based",
    "as",
    "at",
    "per",
    "by",
    "due",
    "secondary",
    "caused",
    "treated",
    "involving",
    "affecting",
    "associated",
    "in",
    "on",
    "during",
    "since",
    "for",
    "of",
    "grade",
    "stage",
    "class",
    "type",
}
_WIDENING_WORDS = {
    "unless",
    "except",
    "exception",
    "if",
    "excluding",
    "other",
    "non",
    "not",
    "no",
    "nor",
    "or",
    "whether",
    "either",
    "allowed",
    "permitted",
    "eligible",
    "acceptable",
    "excluded",
    "may",
    "can",
    "could",
    "unknown",
    "negative",
    "free",
    "resolved",
    "history",
    "family",
    "risk",
    "suspected",
    "suspicion",
    "possible",
    "probable",
    "rule",
    "absence",
    "absent",
    "never",
    "without",
    "prevention",
    "prophylaxis",
    "vaccine",
    "vaccination",
    "screening",
    "test",
}
_WIDENING_TYPES = {
    "NO",
    "NOT",
    "WITHOUT",
    "NOR",
    "NEITHER",
    "OR",
    "ANDOR",
    "EITHER",
    "HISTORY",
    "EVER_OR_NOW",
    "SUSPECTED",
    "PAREN_OR",
    "EG",
}


# words that put an item in the present, whatever scope opens its list
_PRESENT_TIME = re.compile(
    r"^\W*(?:current(?:ly)?|active|ongoing|concurrent|concomitant|existing|present"
    r"|presence of|at present|now)\b",
    re.IGNORECASE,
)
_TEMPORAL = re.compile(
    r"\b(?:within|in the (?:past|last|previous|preceding|next)|prior to|before|since|during"
    r"|ago|recent(?:ly)?|at (?:screening|baseline|enrol+ment|the time)|months?|weeks?|days?"
    r"|years?)\b",
    re.IGNORECASE,
)


_TIME_OPENERS = COMPARATOR_TYPES | {"MINIMUM"}
_TIME_SINCE = {"SINCE", "FROM", "ELAPSED"}


def _closing_window(tokens: list[Token]) -> int | None:
    """Where a window closing the tokens starts ('within 6 months prior to screening', '<
    4 weeks prior to study entry', 'must have ended at least 2 weeks before randomisation',
    'less than 2 weeks ago')."""
    for index in range(len(tokens) - 1, -1, -1):
        if tokens[index].type == "WITHIN":
            rest = [t.type for t in tokens[index + 1 :]]
            if rest[:2] == ["NUMBER", "TIME_UNIT"] and rest[2:] in (
                [],
                ["ANCHOR"],
                ["PRIOR", "ANCHOR"],
            ):
                return index
            return None
    return _closing_time_before(tokens)


def _inner_window_reaches_back(groups: list[list[Token]], separators: list[Separator]) -> bool:
    """Whether a window closes a piece inside the list, not the last, that may end an inner
    list of the pieces before it: "MI or unstable angina within 6 months, or arrhythmia"
    (the MI within 6 months too?). The piece before has no window of its own, and the
    separator before the piece is no stronger than the one after it ("A; B within 6
    months, or C" leaves A alone)."""
    for index in range(1, len(groups) - 1):
        before = groups[index - 1]
        # "Currently pregnant, pregnant within the past 6 months": a time of its own
        own_window = _closing_window(before) is not None or before[0].type == "CONCURRENT"
        if _closing_window(groups[index]) is None or own_window:
            continue
        if _strength(separators[index - 1]) <= _strength(separators[index]):
            return True
    return False


def _closing_time_before(tokens: list[Token]) -> int | None:
    """Where a time before an event closing the tokens starts ('[stopped] ≥ 4 weeks prior to
    randomisation', '< 2 weeks ago'): grammar `washout_before`."""
    types = [t.type for t in tokens]
    for tail in (["PRIOR", "ANCHOR"], ["AGO"]):
        start = len(types) - len(tail) - 2
        if start < 0 or types[start:] != ["NUMBER", "TIME_UNIT", *tail]:
            continue
        if start > 0 and types[start - 1] in _TIME_OPENERS:
            start -= 1
        if start > 0 and types[start - 1] == "ENDED":
            start -= 1
        return start
    return None


def _opening_time_since(tokens: list[Token]) -> bool:
    """Whether the tokens open with a time since ('≥ 2 weeks from prior chemotherapy'):
    grammar `washout_since`, whose time may reach every item of a list after it."""
    types = [t.type for t in tokens]
    if types and types[0] in _TIME_OPENERS:
        types = types[1:]
    return types[:2] == ["NUMBER", "TIME_UNIT"] and len(types) > 2 and types[2] in _TIME_SINCE


# "planning to become pregnant", "expecting to conceive or father a child": a plan of the
# patient's own, never a modifier of the item before it ("pregnant, or planning ...")
_PREGNANCY_PLAN = re.compile(
    r"^(?:plan(?:s|ning|ned)?|intend(?:s|ing)?|expect(?:s|ing)?|wish(?:es|ing)?|want(?:s|ing)?"
    r"|desir(?:es|ing)|hop(?:es|ing)|tr(?:ies|ying)|attempt(?:s|ing)?)\b"
    r"[\w\s,-]*?\b(?:pregnan\w*|conceiv\w*|conception|father\w*)\b",
    re.IGNORECASE,
)


def _opens_like_modifier(tokens: list[Token]) -> bool:
    """A piece opening with a participle or linking word ('staged as', 'confirmed by')."""
    if not tokens:
        return False
    if _PREGNANCY_PLAN.match(" ".join(str(t) for t in tokens)):
        return False
    first = tokens[0]
    # "since", "elapsed since", "stopped", "stopping": words of a time since a treatment,
    # which opened a piece as unknown words ("since", "...ed", "...ing") before the grammar
    # read them
    if first.type in ("CONFIRMED", "WITHIN", "SINCE", "ELAPSED", "ENDED", "ENDING"):
        return True
    word = str(first).lower()
    return first.type == "WORD" and (
        word in _RESTRICTION_WORDS or word.endswith("ed") or word.endswith("ing")
    )


# a word that, inside a piece after its head, opens a restriction which may reach back over
# the whole list ("stroke or heart attack with residual deficits"); prepositions such as "of"
# or "in" mostly stay inside their noun phrase and are left out. Read on the text: the
# tokenizer drops "with" as a filler.
# A piece opening with "other" / "any" / "another" names a category of its own, which its
# restriction defines ("malabsorption or other conditions that preclude enteral dosing"), as
# does one opening with a group of people ("cirrhosis or those with biliary obstruction").
_OWN_CATEGORY_OPENING = (
    r"(?:any|other|another|all|those|patients|subjects|participants|persons|people"
    r"|individuals|women|men)\b"
)
_REACHING_RESTRICTION = re.compile(
    r"^[\s,;]*+(?:(?:and|or|and/or|with)\s+)*+(?!" + _OWN_CATEGORY_OPENING + r")\S+\s.*"
    r"\b(?:with|that|which|whose|requir(?:ing|es)|needing|due to|secondary to"
    r"|caused by|associated with|resulting in|leading to|causing|treated with|involving"
    r"|affecting)\b",
    re.IGNORECASE,
)
# a piece naming a stage, grade, class or type (after at most one word: "clinical stage",
# "histologic grade"): an attribute of the diagnosis before it rather than an item of a list
_ATTRIBUTE = re.compile(
    r"(?:[\w-]+\s+)?(?:stag(?:e|es|ed|ing)|grad(?:e|es|ed|ing)|class(?:es)?|(?:sub)?types?"
    r"|phases?)\b",
    re.IGNORECASE,
)
# words that open examples, as written (the tokenizer reads "inclusive" as "including" too)
_EXAMPLE_WORD = re.compile(
    r"(?:includ(?:ing|es?)|especially|particularly|notably|namely)$", re.IGNORECASE
)
# such a category opened earlier in the list ("other GI illness or condition that ...")
_OWN_CATEGORY = re.compile(r"(?:,|;|\bor|\band)\s+" + _OWN_CATEGORY_OPENING, re.IGNORECASE)


def _opens_restriction(token: Token) -> bool:
    if token.type in ("WITHIN", "LPAR", "CONFIRMED", "GRADE", "GRADE_WORD", "CLASS_WORD", "SINCE"):
        return True
    return token.type == "WORD" and str(token).lower() in _RESTRICTION_WORDS


def _names_current_use(rule: r.Rule) -> bool:
    """Whether a rule has a leaf of current drug use (no window, not "ever")."""
    return any(
        isinstance(leaf, r.Medication) and leaf.within is None and not leaf.ever
        for leaf in r.leaves(rule)
    )


def _may_widen(tokens: list[Token]) -> bool:
    for token in tokens:
        if token.type in _WIDENING_TYPES:
            return True
        if token.type == "QUALIFIER" and str(token) == "other":
            return True
        word = str(token).lower().strip(".,;:()")
        if token.type == "WORD" and (word in _WIDENING_WORDS or word.startswith("non")):
            return True
    return False


_ALTERNATIVE_TYPES = {"OR", "ANDOR", "PAREN_OR", "NOR", "EITHER", "EG"}
_EXCEPTION_WORDS = {
    "unless",
    "except",
    "exception",
    "if",
    "otherwise",
    "excluding",
    "allowed",
    "permitted",
    "eligible",
    "acceptable",
    "whether",
    "either",
}


def _offers_alternative(tokens: list[Token]) -> bool:
    """Whether a tail could add alternatives or exceptions rather than only restrict."""
    return any(
        t.type in _ALTERNATIVE_TYPES
        or (t.type == "WORD" and str(t).lower().strip(".,;:()") in _EXCEPTION_WORDS)
        for t in tokens
    )


def _may_list_alternatives(children: list[r.Rule]) -> bool:
    """Whether bare-listed items may be alternatives: diagnoses, and words not compiled."""
    diagnoses = [c for c in children if not isinstance(c, r.Review) and _diagnoses_only(c)]
    return len(diagnoses) >= 1 and all(
        isinstance(c, r.Review) or _diagnoses_only(c) for c in children
    )


def _diagnoses_only(rule: r.Rule) -> bool:
    return all(isinstance(leaf, r.Condition) for leaf in r.leaves(rule)) and not isinstance(
        rule, r.Not | r.Readings
    )


_LABEL_WORDS = {
    "hepatic",
    "renal",
    "hematologic",
    "haematologic",
    "hematological",
    "haematological",
    "hematology",
    "haematology",
    "function",
    "functions",
    "laboratory",
    "lab",
    "values",
    "adequate",
    "organ",
    "coagulation",
    "cardiac",
    "biochemistry",
    "blood",
    "counts",
    "count",
    "parameters",
    "tests",
    "bone",
    "marrow",
    "reserve",
    "status",
    "liver",
    "kidney",
    # the test that gives the value ("Cardiac ultrasound: LVEF ≥ 50%", "ECG: QTcF ≤ 470 ms")
    "ultrasound",
    "echo",
    "echocardiogram",
    "echocardiography",
    "muga",
    "ecg",
    "electrocardiogram",
    "cbc",
    "hemogram",
    "haemogram",
    "assessment",
    "evaluation",
    "examination",
}


def _restatement(tokens: list[Token]) -> tuple[list[Token], list[Token]] | None:
    """The span before one "i.e." and the span it restates, brackets and commas off:
    "A i.e. B", "A, i.e., B", "A (i.e. B)"."""
    marks = [i for i, t in enumerate(tokens) if t.type == "IE"]
    if len(marks) != 1:
        return None
    head, tail = tokens[: marks[0]], tokens[marks[0] + 1 :]
    if head and head[-1].type == "LPAR":
        if not tail or tail[-1].type != "RPAR":
            return None
        head, tail = head[:-1], tail[:-1]
    while head and head[-1].type == "COMMA":
        head = head[:-1]
    while tail and tail[0].type == "COMMA":
        tail = tail[1:]
    if not head or not tail:
        return None
    return head, tail


def _without_label(tokens: list[Token]) -> list[Token]:
    """Drop a leading label such as 'Hepatic function:' that only names the topic."""
    for index, token in enumerate(tokens[:5]):
        if token.type == "COLON":
            label = tokens[:index]
            if label and all(
                t.type == "ORGAN" or (t.type == "WORD" and str(t).lower() in _LABEL_WORDS)
                for t in label
            ):
                return tokens[index + 1 :]
            return tokens
    return tokens


def _strength(separator: Separator) -> int:
    return {";": 2, ",": 1}.get(separator.punctuation, 0)


def _leading_scope(tokens: list[Token]) -> list[Token]:
    scope: list[Token] = []
    for token in tokens:
        if token.type in _NEGATIONS | {"HISTORY", "QUALIFIER", "OR_SUSPECTED"}:
            scope.append(token)
        else:
            break
    return scope


def _split(tokens: list[Token]) -> tuple[list[list[Token]], list[Separator]]:
    """Pieces between top-level separators; runs of separators form one."""
    pieces: list[list[Token]] = [[]]
    separators: list[Separator] = []
    depth = 0
    pending: list[Token] = []
    for token in tokens:
        if token.type == "LPAR":
            depth += 1
        elif token.type == "RPAR":
            depth = max(0, depth - 1)
        if depth == 0 and token.type in _SEPARATORS:
            pending.append(token)
            continue
        if pending:
            if pieces[-1]:
                separators.append(_separator(pending))
                pieces.append([])
            pending = []
        pieces[-1].append(token)
    if not pieces[-1]:
        pieces.pop()
    return (pieces or [[]]), separators[: max(0, len(pieces) - 1)]


def _separator(tokens: list[Token]) -> Separator:
    punctuation = (
        ";"
        if any(t.type == "SEMI" for t in tokens)
        else ("," if any(t.type == "COMMA" for t in tokens) else "")
    )
    types = {t.type for t in tokens}
    conjunction = None
    if types & {"OR", "ANDOR", "NOR"}:
        conjunction = "or"
    elif "AND" in types:
        conjunction = "and"
    # keep the raw tokens to rebuild a merged span
    return _RawSeparator(punctuation, conjunction, tuple(tokens))


@dataclass(frozen=True)
class _RawSeparator(Separator):
    tokens: tuple[Token, ...] = ()


def _join(pieces: list[list[Token]], separators: list[Separator], i: int, j: int) -> list[Token]:
    joined = list(pieces[i])
    for k in range(i, j):
        separator = separators[k]
        if isinstance(separator, _RawSeparator):
            joined.extend(separator.tokens)
        joined.extend(pieces[k + 1])
    return joined


def _join_rules(rules: list[r.Rule], conjunction: str) -> r.Rule:
    return r.conjunction(rules) if conjunction == "and" else r.disjunction(rules)
