"""Queries whose work is bounded by the rows they answer, answered in the server process.

A query worker process exists to stop a query that runs too long: pyoxigraph cannot cancel one.
Some queries cannot run long before they answer: a single triple pattern with no variable
repeated is one index range scan, every step of which yields a row; DESCRIBE of named resources
reads each one's triples. Such a query, asked for a few rows, is answered in the server process
itself, without the round trip to a worker (`server.backends.embedded.pool`).

Safe by construction (issue 21). The decision is not a match on the query's text: `parse` reads
the query with SPARQL's own terminals (whitespace is exactly space, tab, CR and LF; an IRI is
IRIREF; a comment ends at CR or LF) into a `CheapQuery`, a small value (a pattern of three terms,
or a list of IRIs), and the server process runs only the query `CheapQuery.text` writes from that
value: absolute IRIs, plain strings and variable names it has checked itself. Whatever a parser
would read in the original text, the text Oxigraph evaluates here holds no SERVICE, no FROM, no
second pattern, and nothing relative to resolve. A query `parse` cannot read completely, or
reads as anything else, goes to a worker (no network, time and memory limits) as before; and the
server process itself cannot open a network socket when the store is embedded (`server.backends.embedded.sandbox`).

    [PREFIX p: <abs>]* [BASE <abs>]* SELECT (* | ?v …) [WHERE] { s p o [.] } [LIMIT n≤500]
    [PREFIX p: <abs>]* [BASE <abs>]* DESCRIBE <iri> … (at most MAX_DESCRIBED)

s: IRI or variable; p: IRI, variable or `a`; o: IRI, variable or a plain string (short or long) without escapes.
Names are read in their ASCII forms only; a backslash anywhere (codepoint escapes, which a SPARQL
parser may apply before it reads the query) sends the query to a worker.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urljoin

INLINE_ROWS = 500  # rows an inline query may write before it is handed to a worker instead
MAX_DESCRIBED = 8  # resources one inline DESCRIBE may name
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"

# SPARQL 1.1 terminals (section 19.8), in the ASCII subset this reader accepts. Order matters:
# a long string's opening is caught before a short string, a prefixed name before a keyword.
_LEXEME = re.compile(
    r"(?P<ws>[ \t\r\n]+)"  # WS: exactly these four (Python's \s would take U+00A0, U+2028 …)
    r"|(?P<comment>#[^\r\n]*)"  # ends at CR or LF, nothing else
    r"|(?P<long>\"\"\"(?:(?:\"|\"\")?[^\"\\])*\"\"\"|'''(?:(?:'|'')?[^'\\])*''')"  # STRING_LITERAL_LONG1/2
    r"|(?P<open>\"\"\"|''')"  # a long string that does not close as one
    r"|(?P<iri><[^<>\"{}|^`\\\x00-\x20]*>)"  # IRIREF
    r"|(?P<string>\"[^\"\\\r\n]*\"|'[^'\\\r\n]*')"  # STRING_LITERAL1/2 without escapes
    r"|(?P<pname>(?:[A-Za-z](?:[A-Za-z0-9_.-]*[A-Za-z0-9_-])?)?:(?:[A-Za-z0-9_:](?:[A-Za-z0-9_.:-]*[A-Za-z0-9_:-])?)?)"
    r"|(?P<var>[?$][A-Za-z0-9_]+)"
    r"|(?P<word>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<number>[0-9]+)"
    r"|(?P<punct>[{}.*])"
)
# After a name, a character that SPARQL would read as part of it ends our reading: the query goes
# to a worker rather than be read shorter than a parser reads it.
_NAME_GOES_ON = re.compile(r"[^\x00-\x7f]|[%\\]")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_SIMPLE_RELATIVE = re.compile(r"[A-Za-z0-9_~-][A-Za-z0-9_~/-]*(?:\.[A-Za-z0-9_~-]+)*(?:#[A-Za-z0-9_~-]*)?|#[A-Za-z0-9_~-]*")


_ESCAPES = str.maketrans({'"': '\\"', "\n": "\\n", "\r": "\\r"})  # as ECHAR (the parse took no backslash)


class _Unreadable(Exception):
    """The query is not one of the shapes read here (it goes to a worker)."""


@dataclass(frozen=True)
class Term:
    kind: str  # "iri", "var" or "string"
    value: str  # the absolute IRI, the variable's name (without ? or $) or the string's characters

    def text(self) -> str:
        if self.kind == "iri":
            return f"<{self.value}>"
        if self.kind == "var":
            return f"?{self.value}"
        return '"' + self.value.translate(_ESCAPES) + '"'


@dataclass(frozen=True)
class CheapQuery:
    """A query the server process may answer: SELECT over one pattern, or DESCRIBE of IRIs."""

    form: str  # "SELECT" or "DESCRIBE"
    projection: tuple[str, ...] = ()  # variable names; empty for SELECT *
    pattern: tuple[Term, Term, Term] | None = None
    limit: int | None = None
    described: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        """The query the server runs: written from this value, never copied from the request."""
        if self.form == "DESCRIBE":
            return "DESCRIBE " + " ".join(f"<{iri}>" for iri in self.described)
        assert self.pattern is not None
        head = " ".join(f"?{name}" for name in self.projection) or "*"
        limit = "" if self.limit is None else f" LIMIT {self.limit}"
        return f"SELECT {head} WHERE {{ {' '.join(term.text() for term in self.pattern)} }}{limit}"


def _lexemes(query: str) -> list[tuple[str, str]]:
    if "\\" in query:
        raise _Unreadable
    found: list[tuple[str, str]] = []
    at = 0
    while at < len(query):
        match = _LEXEME.match(query, at)
        if match is None or match.lastgroup == "open":
            raise _Unreadable
        kind, at = match.lastgroup or "", match.end()
        if kind in ("pname", "var", "word", "number") and at < len(query) and _NAME_GOES_ON.match(query, at):
            raise _Unreadable
        if kind not in ("ws", "comment"):
            found.append((kind, match.group()))
    return found


def _safe_iri(iri: str) -> str:
    """An absolute IRI of printable characters (no spaces or controls of any script)."""
    if not _SCHEME.match(iri) or any(unicodedata.category(c)[0] in "ZC" for c in iri):
        raise _Unreadable
    return iri


class _Reader:
    def __init__(self, query: str, prefixes: Mapping[str, str], base: str | None):
        self.lexemes = _lexemes(query)
        self.at = 0
        self.prefixes: dict[str, str | None] = dict(prefixes)
        self.base: str | None = base

    def peek(self) -> tuple[str, str]:
        return self.lexemes[self.at] if self.at < len(self.lexemes) else ("end", "")

    def take(self) -> tuple[str, str]:
        lexeme = self.peek()
        self.at += 1
        return lexeme

    def keyword(self, *words: str) -> str | None:
        kind, text = self.peek()
        if kind == "word" and text.upper() in words:
            self.at += 1
            return text.upper()
        return None

    def expect(self, kind: str, text: str | None = None) -> str:
        found_kind, found = self.take()
        if found_kind != kind or (text is not None and found != text):
            raise _Unreadable
        return found

    def iri_ref(self, text: str) -> str:
        relative = text[1:-1]
        if _SCHEME.match(relative):
            return _safe_iri(relative)
        if self.base is None or not _SIMPLE_RELATIVE.fullmatch(relative):
            raise _Unreadable  # RFC 3986 resolution of anything but a plain path is left to Oxigraph
        return _safe_iri(urljoin(self.base, relative))

    def iri(self, kind: str, text: str) -> str:
        if kind == "iri":
            return self.iri_ref(text)
        if kind == "pname":
            prefix, _, local = text.partition(":")
            namespace = self.prefixes.get(prefix)
            if namespace is None:
                raise _Unreadable  # a worker says which prefix is unknown, with its place
            return _safe_iri(namespace + local)
        raise _Unreadable

    def declared(self, text: str) -> str | None:
        """A PREFIX's or BASE's IRI, or None when it is not one read here (an error only if used)."""
        try:
            return self.iri_ref(text)
        except _Unreadable:
            return None

    def prologue(self) -> None:
        while True:
            word = self.keyword("PREFIX", "BASE")
            if word == "PREFIX":
                name = self.expect("pname")
                if not name.endswith(":") or name.count(":") != 1:
                    raise _Unreadable
                self.prefixes[name[:-1]] = self.declared(self.expect("iri"))
            elif word == "BASE":
                self.base = self.declared(self.expect("iri"))
            else:
                return

    def term(self, position: str) -> Term:
        kind, text = self.take()
        if kind == "var":
            return Term("var", text[1:])
        if position == "p" and kind == "word" and text == "a":  # `a` is case-sensitive
            return Term("iri", RDF_TYPE)
        if position == "o" and kind in ("string", "long"):
            quotes = 3 if kind == "long" else 1
            return Term("string", text[quotes:-quotes])
        return Term("iri", self.iri(kind, text))

    def select(self) -> CheapQuery:
        projection: list[str] = []
        if self.peek() == ("punct", "*"):
            self.at += 1
        else:
            while self.peek()[0] == "var":
                projection.append(self.take()[1][1:])
            if not projection:
                raise _Unreadable
        self.keyword("WHERE")
        self.expect("punct", "{")
        pattern = (self.term("s"), self.term("p"), self.term("o"))
        if self.peek() == ("punct", "."):
            self.at += 1
        self.expect("punct", "}")
        names = [term.value for term in pattern if term.kind == "var"]
        if len(names) != len(set(names)):  # ?x and $x are one variable: a repeat makes the scan a filter
            raise _Unreadable
        limit = None
        if self.keyword("LIMIT"):
            limit = int(self.expect("number"))
            if limit > INLINE_ROWS:  # the client expects more rows: a worker answers it at once
                raise _Unreadable
        return CheapQuery("SELECT", tuple(projection), pattern, limit)

    def describe(self) -> CheapQuery:
        described: list[str] = []
        while self.peek()[0] in ("iri", "pname"):
            described.append(self.iri(*self.take()))
        distinct = tuple(dict.fromkeys(described))  # a resource named twice is described once
        if not 0 < len(distinct) <= MAX_DESCRIBED:
            raise _Unreadable
        return CheapQuery("DESCRIBE", described=distinct)


def parse(query: str, prefixes: Mapping[str, str] | None = None, base: str | None = None) -> CheapQuery | None:
    """The query as a CheapQuery, or None when it is anything else (it goes to a worker)."""
    try:
        reader = _Reader(query, prefixes or {}, base)
        reader.prologue()
        form = reader.keyword("SELECT", "DESCRIBE")
        if form is None:
            return None
        found = reader.select() if form == "SELECT" else reader.describe()
        return found if reader.peek()[0] == "end" else None
    except (_Unreadable, ValueError):
        return None


def is_cheap(query: str, prefixes: Mapping[str, str] | None = None, base: str | None = None) -> bool:
    return parse(query, prefixes, base) is not None
