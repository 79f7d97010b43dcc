"""The typed tree a CQL2 filter becomes, whichever encoding (text or JSON) it arrived in.

The ``cql2`` library parses both encodings into the same JSON syntax tree; ``build``
checks that tree and turns it into these frozen dataclasses, and ``eval`` evaluates them.
A small closed set of node types keeps the evaluator exhaustive, and frozen nodes can be
compared, cached and shared between requests.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from datetime import date, datetime

from shapely.geometry.base import BaseGeometry

MAX_LENGTH = 64_000  # characters (a POSTed area of 1,000 vertices is 25 KB): bounded parsing
MAX_DEPTH = 50  # nested parentheses, NOTs, ANDs and ORs; keeps every recursion shallow
MAX_TESTS = 100  # comparisons in one filter: each costs a pass over the table
MAX_VERTICES = 10_000  # positions in the geometries of one filter


class CQL2Error(ValueError):
    """A filter that cannot be parsed or evaluated: what went wrong and, if known, where.

    ``position`` is a 0-based character offset into CQL2 text, known for syntax errors (the
    parser reports it); a problem found in the tree (an unknown property, a type mismatch) and
    any CQL2-JSON problem has none, and its message names the offending property or value.
    """

    def __init__(self, position: int | None, problem: str) -> None:
        where = "" if position is None else f"at character {position}: "
        super().__init__(f"{where}{problem}")
        self.position = position
        self.problem = problem


@dataclass(frozen=True)
class Node:
    """Base of every tree node."""


@dataclass(frozen=True)
class Property(Node):
    name: str


@dataclass(frozen=True)
class Literal(Node):
    """A scalar value; ``kind`` is "text", "number", "boolean", "date" or "timestamp"."""

    value: str | float | bool | date | datetime
    kind: str


@dataclass(frozen=True)
class Geometry(Node):
    """A geometry or BBOX literal in CRS84; the WKT is kept for equality, the shape for use."""

    wkt: str
    shape: BaseGeometry = field(compare=False, repr=False)


@dataclass(frozen=True)
class Comparison(Node):
    """``prop op value``; a literal written on the left is swapped to the right."""

    prop: Property
    op: str
    value: Literal | Geometry
    casei: bool = False


@dataclass(frozen=True)
class Like(Node):
    prop: Property
    pattern: Literal
    casei: bool = False


@dataclass(frozen=True)
class In(Node):
    prop: Property
    values: tuple[Literal | Geometry, ...]
    casei: bool = False


@dataclass(frozen=True)
class Between(Node):
    prop: Property
    low: Literal | Geometry
    high: Literal | Geometry


@dataclass(frozen=True)
class IsNull(Node):
    prop: Property


@dataclass(frozen=True)
class Intersects(Node):
    prop: Property
    geometry: Geometry


@dataclass(frozen=True)
class Constant(Node):
    """A filter that is just TRUE or FALSE (CQL2 allows a boolean literal as a filter)."""

    value: bool


@dataclass(frozen=True)
class Not(Node):
    """Also what NOT LIKE, NOT IN, NOT BETWEEN and IS NOT NULL become."""

    item: Node


@dataclass(frozen=True)
class And(Node):
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Or(Node):
    items: tuple[Node, ...]


def properties(node: Node) -> set[str]:
    """Every property the filter names, to check against the collection's queryables."""
    if isinstance(node, Property):
        return {node.name}
    return set().union(*(properties(child) for child in _children(node)))


def count_tests(node: Node) -> int:
    """How many comparisons (the leaves that each read a column) the filter makes."""
    if isinstance(node, And | Or):
        return sum(count_tests(item) for item in node.items)
    if isinstance(node, Not):
        return count_tests(node.item)
    return 1


def _children(node: Node) -> Iterator[Node]:
    for item in fields(node):
        value = getattr(node, item.name)
        for child in value if isinstance(value, tuple) else (value,):
            if isinstance(child, Node):
                yield child
