"""CQL2 filters (OGC API Features Part 3): CQL2-text or CQL2-JSON in, a row mask out.

Parsing is the ``cql2`` library's (Rust, maintained with the OGC standard and its test
suite): both encodings become the same JSON syntax tree. ``build`` checks that tree and
turns it into typed nodes, ``eval`` evaluates them over a GeoDataFrame with array
operations. User text is never turned into SQL or Python.

Supported: AND / OR / NOT, ``=, <>, <, <=, >, >=`` between a property and a literal (either
side), ``[NOT] LIKE``, ``[NOT] IN``, ``[NOT] BETWEEN``, ``IS [NOT] NULL``, ``CASEI(...)``,
``S_INTERSECTS(geometry, <geometry or BBOX>)``, TRUE / FALSE; literals: text, numbers,
booleans, ``DATE('…')``, ``TIMESTAMP('…')``, WKT or GeoJSON geometries in CRS84.
"""

from __future__ import annotations

import json
import re

import cql2 as library

from geoapp.cql2.build import build
from geoapp.cql2.eval import to_mask
from geoapp.cql2.tree import (
    MAX_DEPTH,
    MAX_LENGTH,
    MAX_TESTS,
    And,
    Comparison,
    CQL2Error,
    Literal,
    Node,
    Property,
    count_tests,
    properties,
)

__all__ = [
    "LANGUAGES",
    "MAX_DEPTH",
    "MAX_LENGTH",
    "MAX_TESTS",
    "CQL2Error",
    "both",
    "equality",
    "parse",
    "properties",
    "to_mask",
]


def equality(name: str, value: str, kind: str) -> Comparison:
    """``name = value`` for a query parameter, the value read as the queryable's type."""
    if kind == "number":
        try:
            return Comparison(Property(name), "=", Literal(float(value), "number"))
        except ValueError:
            raise CQL2Error(None, f"cannot compare number property '{name}' with text") from None
    return Comparison(Property(name), "=", Literal(value, "text"))  # a date: checked as one


def both(nodes: list[Node]) -> And:
    return And(tuple(nodes))


LANGUAGES = ("cql2-text", "cql2-json")
MAX_NESTING = 2 * MAX_DEPTH  # parentheses and operators inside one another, in text

_LEXEME = re.compile(r"'(?:[^']|'')*'?|\"(?:[^\"]|\"\")*\"?|\w+|<>|<=|>=|!=|[-+*/%^=<>(),]")
_OPERATOR_WORDS = {"NOT", "LIKE", "IN", "BETWEEN", "IS", "DIV"}
_POSITION = re.compile(r"-->\s*(\d+):(\d+)")
_TOKEN = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|\w+|\S")


def parse(text: str, language: str = "cql2-text") -> Node:
    """The typed tree of a filter; raises CQL2Error naming the problem (and where, in text)."""
    if language not in LANGUAGES:
        raise ValueError(f"unknown filter language {language!r}")
    if len(text) > MAX_LENGTH:
        raise CQL2Error(MAX_LENGTH, f"filter longer than {MAX_LENGTH} characters")
    if not text.strip():
        raise CQL2Error(0, "empty filter")
    tree = _parse_text(text) if language == "cql2-text" else _parse_json(text)
    node = build(tree)
    if count_tests(node) > MAX_TESTS:
        raise CQL2Error(None, f"more than {MAX_TESTS} comparisons in one filter")
    return node


def _parse_text(text: str) -> object:
    _check_nesting(text)
    try:
        return library.parse_text(text).to_json()
    except Exception as error:  # ParseError, and a bare Exception for some WKT (POINT EMPTY)
        raise _text_error(text, str(error)) from None


def _parse_json(text: str) -> object:
    try:
        return library.parse_json(text).to_json()
    except Exception as error:  # ParseError (serde's message) or ValueError (wrong arity)
        raise _json_error(text, str(error)) from None


def _check_nesting(text: str) -> None:
    """Refuse deep nesting before the library sees it.

    The library's parser recurses on the machine stack, and a chain such as ``1 = 1 = 1 …`` or
    ``NOT NOT …`` nests as deep as it is long: about 200 parentheses or 1,000 chained ``=``
    crash a thread with a 1 MiB stack (a segmentation fault, not an exception). So this scan
    bounds an over-estimate of the nesting: parentheses, plus every operator since the last
    AND, OR or comma (which separate operands of one flat list), summed over the enclosing
    parentheses. Quoted strings and identifiers are skipped.
    """
    runs: list[int] = []  # the operator runs of the enclosing parentheses
    run = enclosing = 0  # enclosing: len(runs) + sum(runs), kept as they change
    for match in _LEXEME.finditer(text):
        token = match.group().upper()
        if token == "(":
            runs.append(run)
            enclosing, run = enclosing + run + 1, 0
            if len(runs) > MAX_DEPTH:
                raise CQL2Error(match.start(), f"nesting deeper than {MAX_DEPTH} levels")
        elif token == ")" and runs:
            run = runs.pop()
            enclosing -= run + 1
        elif token in ("AND", "OR", ","):
            run = 0
        elif _is_operator(token):
            run += 1
            if enclosing + run > MAX_NESTING:
                problem = f"operators nested deeper than {MAX_NESTING} levels"
                raise CQL2Error(match.start(), problem)


def _is_operator(token: str) -> bool:
    """An operator token of ``_LEXEME`` (upper case); not a name, number, string or ``)``."""
    return token in _OPERATOR_WORDS or not (token[0].isalnum() or token[0] in "_'\")")


def _text_error(text: str, message: str) -> CQL2Error:
    """The library's syntax error as a 0-based position and a sentence a person can act on."""
    found = _POSITION.search(message)
    if found is None:
        return CQL2Error(None, f"invalid filter: {message.splitlines()[0][:200]}")
    line, column = int(found.group(1)), int(found.group(2))
    position = sum(len(row) + 1 for row in text.split("\n")[: line - 1]) + column - 1
    if text[position : position + 1] in ("'", '"') and text[position] not in text[position + 1 :]:
        return CQL2Error(position, "unterminated string")
    return CQL2Error(position, _unexpected(text, position) + _expected(message))


def _unexpected(text: str, position: int) -> str:
    token = _TOKEN.match(text, position)
    if token is None:
        return "unexpected end of filter"
    found = token.group()[:40]
    return f"unexpected {found}" if found[0] in "'\"" else f"unexpected '{found}'"


def _expected(message: str) -> str:
    """What the parser wanted, in words; its own rule names mean nothing to a user."""
    wanted = message.rpartition("= expected ")[2]
    if "Identifier" in wanted or wanted.strip() == "Expr":
        return ", expected a property or a value"
    if "EOI" in wanted:
        return ", expected AND, OR or the end of the filter"
    return ""


def _json_error(text: str, message: str) -> CQL2Error:
    """Say what is wrong with refused CQL2-JSON, more precisely than serde can.

    Invalid JSON gets Python's message and position. Valid JSON that the library refuses
    (its message is then often "did not match any variant") is checked by ``build``, whose
    error names the offending member.
    """
    try:
        tree = json.loads(text, parse_int=float)  # as the library reads numbers; 1e400 is inf
    except json.JSONDecodeError as error:
        return CQL2Error(error.pos, f"invalid JSON: {error.msg}")
    except RecursionError:
        return CQL2Error(None, f"nesting deeper than {MAX_DEPTH} levels")
    try:
        build(tree)
    except CQL2Error as error:
        return error
    return CQL2Error(None, f"invalid CQL2-JSON: {message.splitlines()[0][:200]}")
