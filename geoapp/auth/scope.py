"""What part of the country an account may see: admin-code prefixes, applied to every query.

A county official's jurisdiction is its county code (``610327``), a city official's the city
prefix (``2114``: every county of 葫芦岛市). ``Scope.narrow`` adds that test to a store query
on the layer's county field, together with any county the user filtered by, so every route
that reads through a query (map, API, points, tiles, OGC, exports, search, rates) shows only
the rows inside. A layer without a county field shows nothing to a bounded scope: fail closed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

from geoapp.layers import LayerDef
from geoapp.stores.base import Query

CODE = re.compile(r"^(\d{2}|\d{4}|\d{6})$")  # province, city or county prefix


def jurisdiction_codes(text: str) -> tuple[str, ...]:
    """``"2114, 610327"`` → (``2114``, ``610327``); a county code ``211400`` of a whole city
    counts as its prefix ``2114``. Raises ValueError naming the first bad code."""
    codes = []
    for raw in re.split(r"[,，\s]+", text.strip()):
        if not raw:
            continue
        if not CODE.match(raw):
            raise ValueError(raw)
        codes.append(_shortest(raw))
    return tuple(dict.fromkeys(codes))


def _shortest(code: str) -> str:
    """``210000`` → ``21``, ``211400`` → ``2114``: the prefix that code stands for."""
    while len(code) > 2 and code.endswith("00"):
        code = code[:-2]
    return code


@dataclass(frozen=True)
class Scope:
    """``prefixes`` None: everything (an admin); otherwise the admin-code prefixes allowed."""

    prefixes: tuple[str, ...] | None = None

    @classmethod
    def everything(cls) -> Scope:
        return cls(None)

    @classmethod
    def of(cls, codes: Iterable[str]) -> Scope:
        return cls(tuple(codes))

    @property
    def bounded(self) -> bool:
        return self.prefixes is not None

    def allows(self, code: str | None) -> bool:
        """True when an admin code lies inside the scope."""
        if self.prefixes is None:
            return True
        return bool(code) and str(code).startswith(self.prefixes)

    def narrow(self, layer: LayerDef, query: Query) -> Query:
        """``query`` with the scope's test added on the layer's county field."""
        if self.prefixes is None:
            return query
        column = layer.area.get("county")
        if column is None:
            return replace(query, ids=frozenset())
        return self.narrow_on(column, query)

    def narrow_on(self, column: str, query: Query) -> Query:
        """``query`` with the scope's test on a county-code column: for records without a
        layer of their own (the enquiries investors send)."""
        if self.prefixes is None:
            return query
        current = query.prefix.get(column)
        allowed = self.prefixes if current is None else _overlap(current, self.prefixes)
        return replace(query, prefix={**query.prefix, column: allowed})

    def key(self) -> str:
        """A text for cache keys: two users of one scope share cached answers, no one else."""
        return "*" if self.prefixes is None else ",".join(sorted(self.prefixes))


def _overlap(current: str | tuple[str, ...], allowed: tuple[str, ...]) -> tuple[str, ...]:
    """Prefixes that lie in both sets: ``21`` ∩ ``2114`` = ``2114``; ``2114`` ∩ ``6103`` = ()."""
    mine = (current,) if isinstance(current, str) else current
    found = []
    for a in mine:
        for b in allowed:
            if a.startswith(b):
                found.append(a)
            elif b.startswith(a):
                found.append(b)
    return tuple(dict.fromkeys(found))
