"""The chairs' search language (as in HotCRP), parsed here and compiled to Q objects.

    topic:data decision:none score:>=4 reviews:<3 disagree: ac:alan title:"distillation"
    -withdrawn   (#12 OR #15) AND NOT status:rejected

Grammar (AND binds tighter than OR; juxtaposition is AND; case does not matter in the
operators)::

    query  := or
    or     := and ("OR" and)*
    and    := unary (["AND"] unary)*
    unary  := ("NOT" | "-") unary | "(" or ")" | term
    term   := WORD ":" [value] | value
    value  := WORD | "quoted text"

This module knows no field: the apps above register their keywords
(`search_keyword_register`), so that the submissions list and the decision board share one
language without `workshop` importing them. A keyword's compiler receives the value text
and the `SearchContext` (the workshops searched) and returns a Q on `Submission`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Q

from .validators import finite_float


class SearchError(ValueError):
    """A query that cannot be understood; `message` says where and why."""

    def __init__(self, message: str, position: int | None = None) -> None:
        self.message = message if position is None else f"{message} (at character {position + 1})"
        self.position = position
        super().__init__(self.message)


@dataclass(frozen=True)
class SearchContext:
    """What a compiler may need besides the value: the workshops searched."""

    workshop_ids: frozenset[int] = field(default_factory=frozenset)


Compiler = Callable[[str, SearchContext], Q]


@dataclass(frozen=True)
class Keyword:
    name: str
    compile: Compiler
    help: str


_KEYWORDS: dict[str, Keyword] = {}
_DEFAULT: list[Compiler] = []  # for bare words: the last registered wins


def search_keyword_register(names: str | tuple[str, ...], compile: Compiler, *, help: str) -> None:
    """Register a keyword (and its aliases): `topic:`, `score:`, ..."""
    for name in (names,) if isinstance(names, str) else names:
        _KEYWORDS[name.lower()] = Keyword(name.lower(), compile, help)


def search_default_register(compile: Compiler) -> None:
    """What a bare word (no keyword) searches."""
    _DEFAULT[:] = [compile]


def search_keywords() -> list[Keyword]:
    """The registered keywords, one per compiler (aliases folded), for the help text."""
    seen: dict[int, Keyword] = {}
    for keyword in _KEYWORDS.values():
        seen.setdefault(id(keyword.compile), keyword)
    return sorted(seen.values(), key=lambda k: k.name)


# --- Tokens ---------------------------------------------------------------------------------

TOKEN = re.compile(
    r"""\s*(?:
        (?P<lparen>\()
      | (?P<rparen>\))
      | (?P<quoted>"(?:[^"\\]|\\.)*")
      | (?P<unterminated>"[^"]*$)
      | (?P<word>[^\s()"]+(?:"(?:[^"\\]|\\.)*")?)
    )""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class Token:
    kind: str  # lparen, rparen, word, quoted, and, or, not, minus
    text: str
    position: int


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = TOKEN.match(text, position)
        if match is None:  # pragma: no cover - the word pattern takes any other character
            raise SearchError("Cannot read the query", position)
        start = match.start(match.lastgroup)
        value = match.group(match.lastgroup)
        kind = match.lastgroup
        if kind == "unterminated":
            raise SearchError("A quotation mark is not closed", start)
        if kind == "quoted":
            value = _unquote(value)
        elif kind == "word":
            upper = value.upper()
            if upper in ("AND", "OR", "NOT"):
                kind = upper.lower()
            elif value.startswith("-") and len(value) > 1:
                tokens.append(Token("minus", "-", start))
                value, start = value[1:], start + 1
            elif value == "-":
                raise SearchError("A minus sign must be followed by what to exclude", start)
        tokens.append(Token(kind, value, start))
        position = match.end()
    return tokens


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text[1:-1])


# --- Syntax tree ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    keyword: str  # "" for a bare word
    value: str
    position: int


@dataclass(frozen=True)
class Not:
    child: Node


@dataclass(frozen=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    children: tuple[Node, ...]


Node = Term | Not | And | Or


class _Parser:
    def __init__(self, tokens: list[Token], text: str) -> None:
        self.tokens = tokens
        self.index = 0
        self.text = text

    def peek(self) -> Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def parse(self) -> Node:
        node = self.parse_or()
        token = self.peek()
        if token is not None:
            # Only a stray closing parenthesis can stop the parser early.
            raise SearchError("A closing parenthesis has no opening one", token.position)
        return node

    def parse_or(self) -> Node:
        children = [self.parse_and()]
        while (token := self.peek()) is not None and token.kind == "or":
            self.take()
            if self.peek() is None or self.peek().kind in ("rparen", "or"):
                raise SearchError("OR must be followed by a search term", token.position)
            children.append(self.parse_and())
        return children[0] if len(children) == 1 else Or(tuple(children))

    def parse_and(self) -> Node:
        first = self.peek()
        if first is None:
            raise SearchError("The query ends where a search term was expected", len(self.text))
        if first.kind in ("or", "and"):
            raise SearchError(f"{first.text.upper()} needs a search term before it", first.position)
        if first.kind == "rparen":
            raise SearchError("Empty parentheses, or a closing one too many", first.position)
        children = [self.parse_unary()]
        while (token := self.peek()) is not None and token.kind not in ("or", "rparen"):
            if token.kind == "and":
                self.take()
                following = self.peek()
                if following is None or following.kind in ("rparen", "or", "and"):
                    raise SearchError("AND must be followed by a search term", token.position)
            children.append(self.parse_unary())
        return children[0] if len(children) == 1 else And(tuple(children))

    def parse_unary(self) -> Node:
        token = self.peek()
        if token is None:
            raise SearchError("The query ends where a search term was expected", len(self.text))
        if token.kind in ("not", "minus"):
            self.take()
            following = self.peek()
            if following is None or following.kind in ("rparen", "or", "and"):
                raise SearchError(
                    f"{'NOT' if token.kind == 'not' else 'A minus sign'} must be followed by "
                    "what to exclude",
                    token.position,
                )
            return Not(self.parse_unary())
        if token.kind == "lparen":
            self.take()
            if self.peek() is None:
                raise SearchError("An opening parenthesis is not closed", token.position)
            node = self.parse_or()
            closing = self.peek()
            if closing is None or closing.kind != "rparen":
                raise SearchError("An opening parenthesis is not closed", token.position)
            self.take()
            return node
        if token.kind == "rparen":
            raise SearchError("A closing parenthesis has no opening one", token.position)
        if token.kind in ("and", "or"):
            raise SearchError(f"{token.text.upper()} needs a search term before it", token.position)
        self.take()
        return self.term(token)

    def term(self, token: Token) -> Term:
        if token.kind == "quoted":
            return Term("", token.text, token.position)
        key, colon, value = token.text.partition(":")
        if not colon or key == "" or key.startswith("#"):
            return Term("", token.text, token.position)
        if value.startswith('"'):
            if len(value) < 2 or not value.endswith('"'):
                raise SearchError("A quotation mark is not closed", token.position + len(key) + 1)
            value = _unquote(value)
        elif value == "":
            # `title: "x"`: a quoted value may follow the colon after a space.
            following = self.peek()
            if following is not None and following.kind == "quoted":
                value = self.take().text
        return Term(key.lower(), value, token.position)


def search_parse(text: str) -> Node | None:
    """The syntax tree of a query; None for an empty one. Raises SearchError."""
    tokens = tokenize(text or "")
    if not tokens:
        return None
    return _Parser(tokens, text).parse()


def search_compile(text: str, context: SearchContext) -> Q:
    """The query as a Q on `Submission` (an empty query matches everything)."""
    tree = search_parse(text)
    return Q() if tree is None else _compile(tree, context)


def _compile(node: Node, context: SearchContext) -> Q:
    if isinstance(node, Not):
        return ~_compile(node.child, context)
    if isinstance(node, And):
        q = Q()
        for child in node.children:
            q &= _compile(child, context)
        return q
    if isinstance(node, Or):
        q = _compile(node.children[0], context)
        for child in node.children[1:]:
            q |= _compile(child, context)
        return q
    if node.keyword == "":
        if not _DEFAULT:
            raise SearchError("Plain words cannot be searched here", node.position)
        return _DEFAULT[0](node.value, context)
    keyword = _KEYWORDS.get(node.keyword)
    if keyword is None:
        known = ", ".join(f"{k.name}:" for k in search_keywords())
        raise SearchError(f"Unknown keyword “{node.keyword}:”; known are {known}", node.position)
    try:
        return keyword.compile(node.value, context)
    except SearchError as exc:
        if exc.position is None:
            raise SearchError(f"{node.keyword}: {exc.message}", node.position) from None
        raise


# --- Helpers for compilers ------------------------------------------------------------------

COMPARISON = re.compile(r"^(>=|<=|!=|>|<|=)?\s*(-?\d+(?:\.\d+)?)$")
LOOKUPS = {">=": "gte", "<=": "lte", ">": "gt", "<": "lt", "=": "exact", "": "exact"}


def parse_comparison(value: str) -> tuple[str, float]:
    """`>=4` → ("gte", 4.0); `3` → ("exact", 3.0); `!=2` → ("ne", 2.0)."""
    match = COMPARISON.match(value.strip())
    if match is None:
        raise SearchError(f"“{value}” is not a number with an optional >, >=, <, <=, = or !=")
    try:
        number = finite_float(match.group(2))  # 400 digits read as infinity
    except ValueError:
        raise SearchError(f"“{value}” is too large a number") from None
    op = match.group(1) or ""
    return ("ne" if op == "!=" else LOOKUPS[op]), number


def compare_q(field_name: str, value: str) -> Q:
    lookup, number = parse_comparison(value)
    if lookup == "ne":
        return ~Q(**{f"{field_name}__exact": number})
    return Q(**{f"{field_name}__{lookup}": number})
