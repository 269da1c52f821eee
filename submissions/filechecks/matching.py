"""Text matching for the deep checks: author identities and prompt-injection phrases.

Extracted PDF text is messy, so both sides of every comparison are *folded*: Unicode NFKC
(ligatures such as "ﬁ" become "fi"), accents and stray spacing accents removed (old LaTeX
OT1 fonts extract "Müller" as "M¨uller"), case-folded, words hyphenated across a line
break re-joined, and whitespace collapsed.  Folding keeps a map back to the original text so
reported snippets show what the paper actually says.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

MIN_IDENTITY_LEN = 3
SNIPPET_BEFORE = 50
SNIPPET_AFTER = 120

# Spacing accents (diaeresis, acute, cedilla, breve, caron, dot, ring, ogonek, small tilde,
# double acute, circumflex) and the soft hyphen are dropped.
_SPACING_ACCENTS = frozenset(
    "\u00a8\u00b4\u00b8\u02d8\u02c7\u02d9\u02da\u02db\u02dc\u02dd\u02c6\u00ad"
)
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})
_HYPHEN_BREAK = re.compile(r"[-\u2010\u2011]\s*\n\s*(?=\w)")

# Maintained list of phrases aimed at LLM reviewers.  Spaces mean "optional whitespace"
# (extraction may lose or add spaces); matching is done on folded (lower-case) text.
INJECTION_PHRASES: tuple[str, ...] = (
    r"ignore (all |any )?(of )?(the |your |my )?(previous|prior|above|earlier|preceding|former)"
    r" (instructions?|prompts?|directions?|context|guidelines|rules)",
    r"disregard (all |any )?(of )?(the |your )?(previous|prior|above|earlier|preceding)"
    r" (instructions?|prompts?|directions?|context|guidelines|rules)",
    r"forget (all |any )?(of )?(the |your )?(previous|prior|above) (instructions?|prompts?)",
    r"(give|write|provide|generate|output|produce) (this paper |this submission |the paper )?"
    r"(a |an )?(very |highly |extremely |only )?(positive|favou?rable|glowing) "
    r"(review|evaluation|assessment|rating|feedback)",
    r"(only|just) (give|write|output|provide) (a )?positive",
    r"as an? (ai |large )?language model",
    r"(llm|ai|language model) reviewers?",
    r"rate this (paper|submission|manuscript|work) (very )?(highly|high|favou?rably|positively)",
    r"(do not|don't|dont) (mention|highlight|point out)",
    r"you are (now )?(an? |the )?((expert|helpful|ai|llm|senior|professional|peer) )*reviewer",
    r"(recommend|suggest) (an? )?(strong |clear )?accept(ance)?\b",
    r"instructions? (for|to) (the |any )?(llms?|ai|language models?|(ai |llm )?reviewers?)\b",
    r"no (negative|critical) (comments|feedback|points|remarks)",
    r"emphasi[sz]e (only )?the strengths",
    r"system prompt",
)
INJECTION_PATTERNS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(r"(?<!\w)" + phrase.replace(" ", r"\s*")) for phrase in INJECTION_PHRASES
)


@lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    if char in _SPACING_ACCENTS:
        return ""
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", char))
    kept = "".join(c for c in decomposed if not unicodedata.combining(c))
    return kept.translate(_QUOTES).casefold()


def fold(text: str) -> tuple[str, list[int]]:
    """Fold ``text`` for matching; return it with, per folded char, its index in ``text``."""
    out: list[str] = []
    index: list[int] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char in "-\u2010\u2011" and out and out[-1].isalnum():
            joined = _HYPHEN_BREAK.match(text, i)
            if joined:  # "Uni-\nversity" -> "university"
                i = joined.end()
                continue
        if char.isspace():
            if out and out[-1] != " ":
                out.append(" ")
                index.append(i)
            i += 1
            continue
        for folded in _fold_char(char):
            out.append(folded)
            index.append(i)
        i += 1
    return "".join(out), index


def identity_pattern(identity: str) -> re.Pattern[str] | None:
    """Whole-word, whitespace- and hyphenation-tolerant pattern for a name/email/affiliation.

    Identities shorter than ``MIN_IDENTITY_LEN`` characters (after folding) are ignored.
    """
    folded = " ".join(fold(identity)[0].split())
    if len(folded) < MIN_IDENTITY_LEN:
        return None
    body = re.escape(folded).replace(r"\ ", r"\s?").replace(r"\-", r"-?\s?")
    return re.compile(rf"(?<!\w){body}(?!\w)")


@dataclass(frozen=True)
class FoldedText:
    """A page's text together with its folded form and the folded-to-original index map."""

    original: str
    folded: str
    index: list[int]

    @classmethod
    def of(cls, text: str) -> FoldedText:
        folded, index = fold(text)
        return cls(text, folded, index)

    def snippet(self, start: int, end: int) -> str:
        """Original text around folded span ``[start, end)``, whitespace collapsed."""
        text = self.original
        lo, hi = self.index[start], self.index[end - 1] + 1
        a, b = max(0, lo - SNIPPET_BEFORE), min(len(text), hi + SNIPPET_AFTER)
        while 0 < a < lo and not text[a - 1].isspace():  # do not start or end mid-word
            a += 1
        while hi < b < len(text) and not text[b].isspace():
            b -= 1
        shown = " ".join(text[a:b].split())
        return ("…" if a > 0 else "") + shown + ("…" if b < len(text) else "")


def identity_patterns(identities: list[str]) -> list[tuple[str, re.Pattern[str]]]:
    """Compile each distinct usable identity once per document."""
    unique = dict.fromkeys(i.strip() for i in identities if i and i.strip())
    compiled = ((identity, identity_pattern(identity)) for identity in unique)
    return [(identity, pattern) for identity, pattern in compiled if pattern is not None]


def find_identities(
    page_text: FoldedText, patterns: list[tuple[str, re.Pattern[str]]], page: int, limit: int
) -> list[dict[str, object]]:
    """``{page, text, match}`` for each place of one page's text that names an identity,
    each place once (a name and an email in the same snippet are one finding)."""
    hits: list[dict[str, object]] = []
    seen: set[str] = set()
    for identity, pattern in patterns:
        for found in pattern.finditer(page_text.folded):
            if len(hits) >= limit:
                return hits
            shown = page_text.snippet(found.start(), found.end())
            if shown in seen:
                continue
            seen.add(shown)
            hits.append({"page": page, "text": shown, "match": identity})
    return hits


def find_injections(page_text: FoldedText, page: int) -> list[dict[str, object]]:
    """``{page, kind: "injection", text}`` for each LLM-directed phrase in one page's text."""
    spans = sorted(
        (m.start(), m.end())
        for pattern in INJECTION_PATTERNS
        for m in pattern.finditer(page_text.folded)
        if m.end() > m.start()
    )
    merged: list[list[int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1] + SNIPPET_AFTER:
            merged[-1][1] = max(merged[-1][1], end)  # nearby phrases: one entry
        else:
            merged.append([start, end])
    return [{"page": page, "kind": "injection", "text": page_text.snippet(s, e)} for s, e in merged]
