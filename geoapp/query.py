"""Request arguments + the layers' declared filters → one ``MapFilter`` (allow-listed).

The same filter drives the map page and the API. Each parameter is checked against what the
layers declare (enum values) and what the store holds (admin codes, park ids); a bad one is
reported with its name and value and dropped, so the page can still show the rest.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from geoapp.errors import BadRequest
from geoapp.layers import LayerDef
from geoapp.stores.base import Query

ADMIN_CODE = re.compile(r"^\d{6}$")
AREA_PARAMS = ("county", "park")
PASSIVE_PARAMS = ("lang",)  # handled elsewhere, never a filter


@dataclass(frozen=True)
class MapFilter:
    """The active filters: an admin code, a park id and enum values per field."""

    county: str | None = None
    park: str | None = None
    values: dict[str, frozenset[str]] = field(default_factory=dict)

    def active(self) -> list[str]:
        names = [p for p in AREA_PARAMS if getattr(self, p)]
        return names + sorted(self.values)

    def applies_fully(self, layer: LayerDef) -> bool:
        """True when every active filter narrows this layer (used to choose what to fit)."""
        return all(self._applies(layer, name) for name in self.active())

    def _applies(self, layer: LayerDef, name: str) -> bool:
        return name in layer.area if name in AREA_PARAMS else name in layer.filters

    def query_for(self, layer: LayerDef, columns: Iterable[str] | None = None) -> Query:
        """The store query for one layer: only the filters that layer declares."""
        prefix, any_of = {}, {}
        if self.county and "county" in layer.area:
            prefix[layer.area["county"]] = admin_prefix(self.county)
        if self.park and "park" in layer.area:
            any_of[layer.area["park"]] = frozenset([self.park])
        for name, allowed in self.values.items():
            if name in layer.filters:
                any_of[name] = allowed
        return Query(
            any_of=any_of, prefix=prefix, columns=tuple(columns) if columns is not None else None
        )

    def to_args(self) -> MultiDict:
        """The URL arguments that reproduce this filter (for links and the shared view)."""
        args = MultiDict()
        for name in AREA_PARAMS:
            if getattr(self, name):
                args.add(name, getattr(self, name))
        for name in sorted(self.values):
            for value in sorted(self.values[name]):
                args.add(name, value)
        return args


def admin_prefix(code: str) -> str:
    """The prefix every code inside an admin area shares: 211400 → 2114, 610000 → 61."""
    if code.endswith("0000"):
        return code[:2]
    if code.endswith("00"):
        return code[:4]
    return code


def parse_filter(
    args: MultiDict, layers: list[LayerDef], counties: set[str], parks: set[str]
) -> tuple[MapFilter, list[BadRequest]]:
    """Valid filters and one error per bad parameter (which names the parameter and value)."""
    errors: list[BadRequest] = []
    enums = {name: layer.fields[name] for layer in layers for name in layer.filters}
    for name in args:
        if name not in enums and name not in AREA_PARAMS and name not in PASSIVE_PARAMS:
            errors.append(BadRequest(_("Unknown filter “%(name)s”.", name=name), param=name))
    county = _checked_county(args.get("county", "").strip(), counties, errors)
    park = _checked_park(args.get("park", "").strip(), parks, errors)
    values = {}
    for name, field_def in enums.items():
        chosen = _split(args.getlist(name))
        allowed = {v.key for v in field_def.values}
        for bad in sorted(chosen - allowed):
            errors.append(
                BadRequest(
                    _(
                        "Unknown value “%(value)s” for “%(name)s”; allowed: %(allowed)s.",
                        value=bad,
                        name=name,
                        allowed=", ".join(sorted(allowed)),
                    ),
                    param=name,
                )
            )
        if chosen & allowed:
            values[name] = frozenset(chosen & allowed)
    return MapFilter(county=county, park=park, values=values), errors


def _split(raw: list[str]) -> set[str]:
    """``a,b`` and repeated parameters both mean “a or b”."""
    return {part.strip() for item in raw for part in item.split(",") if part.strip()}


def _checked_county(code: str, counties: set[str], errors: list[BadRequest]) -> str | None:
    if not code:
        return None
    if not ADMIN_CODE.match(code):
        errors.append(
            BadRequest(
                _(
                    "Admin code “%(code)s” is malformed: it must be 6 digits, e.g. 610327.",
                    code=code,
                ),
                param="county",
            )
        )
        return None
    if code not in counties:
        errors.append(
            BadRequest(_("Admin code “%(code)s” is not in this data.", code=code), param="county")
        )
        return None
    return code


def _checked_park(park: str, parks: set[str], errors: list[BadRequest]) -> str | None:
    if not park:
        return None
    if park not in parks:
        errors.append(BadRequest(_("Park “%(park)s” does not exist.", park=park), param="park"))
        return None
    return park
