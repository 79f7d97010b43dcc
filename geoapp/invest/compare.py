"""对比: up to four sites side by side, one column per site, one row per property.

The selection travels in the URL (``?site=<layer>:<id>&site=…``, layer ``parcels`` or
``standard_land``), so a comparison can be linked to (the siting search does), bookmarked and
built with a plain form, without JavaScript; order is kept and repeats are folded. Each site
is read as its parcel page reads it (``vacancies.find_site``: public fields only), with its
park (``parks.park_views``) and its distances (``landmarks``). Every column has every row: a
field a site does not have reads "—". Only the reserve price has a clear "better" (lower):
a larger area or a higher indicator is neither better nor worse for every investor, so only
the lowest price is marked.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext

from geoapp.errors import BadRequest, NotFound
from geoapp.invest.fields import FieldRow
from geoapp.invest.landmarks import KINDS, Distance, distances_from, kind_label, read_landmarks
from geoapp.invest.parks import ParkView, park_views
from geoapp.invest.sites import INDUSTRIES, PARCELS, SITE_LAYERS, STANDARD_LAND, public_layer
from geoapp.invest.vacancies import Site, detail_names, find_site
from geoapp.ogc_html import number
from geoapp.services import Services

MAX_COMPARED = 4
MAX_SHOWN = 60  # characters of a refused value repeated in the message
PRICE_FIELD = "price_wan_per_mu"  # the one row where lower is plainly better
UTILITIES = "utilities"
PARK_ROWS = (INDUSTRIES, UTILITIES)  # what of the park a comparison shows


@dataclass(frozen=True)
class SiteRef:
    """One ``<layer>:<id>`` of the URL."""

    layer: str
    key: str

    @property
    def value(self) -> str:
        return f"{self.layer}:{self.key}"


def parse_selection(values: Iterable[str], strict: bool = True) -> list[SiteRef]:
    """The sites of ``?site=…`` in their order, repeats folded, blanks (an empty form
    field) skipped; an id may hold colons (the layer ends at the first). Strict (the comparison
    itself): a malformed value, an unknown layer or more than ``MAX_COMPARED`` sites is a
    ``BadRequest`` naming it. Lenient (pages that only carry the selection along): what
    is wrong is left out and the first ``MAX_COMPARED`` are kept."""
    found: list[SiteRef] = []
    for value in values:
        value = value.strip()
        if not value:
            continue
        try:
            ref = _ref(value)
        except BadRequest:
            if strict:
                raise
            continue
        if ref not in found:
            found.append(ref)
        if len(found) > MAX_COMPARED:
            if strict:
                raise BadRequest(_too_many(), param="site")
            return found[:MAX_COMPARED]
    return found


def _too_many() -> str:
    return lazy_gettext(
        "At most %(n)s sites can be compared at once: remove one, then add another.",
        n=MAX_COMPARED,
    )


def _ref(value: str) -> SiteRef:
    layer, colon, key = value.partition(":")
    shown = _shown(value)
    if not colon or not layer or not key.strip():
        raise BadRequest(
            lazy_gettext(
                "“%(value)s” is not a site: write it as layer:id, as in parcels:P1-002.",
                value=shown,
            ),
            param="site",
        )
    if layer not in SITE_LAYERS:
        raise BadRequest(
            lazy_gettext(
                "“%(value)s”: a site is in the layer parcels or standard_land.", value=shown
            ),
            param="site",
        )
    return SiteRef(layer, key.strip())


def _shown(text: str) -> str:
    """A value as a message repeats it: cut when long (escaped by the page, as all text)."""
    return text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN] + "…"


@dataclass(frozen=True)
class Column:
    """One compared site: its number on the map, the site, its park and distances."""

    number: int
    ref: SiteRef
    site: Site
    park: ParkView | None
    county: str
    distances: list[Distance]


@dataclass(frozen=True)
class Cell:
    text: str
    url: str | None = None
    best: bool = False


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    cells: list[Cell]

    @property
    def same(self) -> bool:
        """All sites agree (and there is more than one): a row to mute. Never the ids: a
        parcel and the standard land recorded on it may share one."""
        return self.key != "id" and len(self.cells) > 1 and len({c.text for c in self.cells}) == 1


@dataclass(frozen=True)
class Group:
    key: str  # site | land | park | distances
    title: str
    rows: list[Row]


@dataclass(frozen=True)
class Comparison:
    columns: list[Column]
    groups: list[Group]

    @property
    def refs(self) -> list[SiteRef]:
        return [c.ref for c in self.columns]


@dataclass(frozen=True)
class Links:
    """Where a site's and a park's names lead (the view knows the URLs)."""

    site: Callable[[Site], str]
    park: Callable[[str], str]


def compare_sites(svc: Services, refs: list[SiteRef], locale: str, links: Links) -> Comparison:
    """The comparison of those sites, in their order; a ``NotFound`` naming an unknown id."""
    columns = _columns(svc, refs, locale)
    groups = [
        Group("site", _("The site"), _site_rows(columns, links, locale)),
        Group("land", _("Land use, price and indicators"), _detail_rows(svc, columns)),
        Group("park", _("The park"), _park_rows(columns)),
        Group("distances", _("Distances"), _distance_rows(columns)),
    ]
    return Comparison(columns, [g for g in groups if g.rows])


def _columns(svc: Services, refs: list[SiteRef], locale: str) -> list[Column]:
    landmarks = read_landmarks(svc.store) if refs else None
    parks: dict[str, ParkView | None] = {}
    columns = []
    for position, ref in enumerate(refs, start=1):
        site = find_site(svc, ref.layer, ref.key, locale)
        if site is None:
            message = lazy_gettext("There is no parcel “%(id)s”.", id=_shown(ref.key))
            raise NotFound(message, param="site")
        if site.park_id and site.park_id not in parks:
            found = park_views(svc, locale, site.park_id)
            parks[site.park_id] = found[0] if found else None
        point = site.geometry.representative_point()
        columns.append(
            Column(
                number=position,
                ref=ref,
                site=site,
                park=parks.get(site.park_id) if site.park_id else None,
                county=svc.areas().name_of(site.county_code) or "",
                distances=distances_from(point, site.county_code, landmarks),
            )
        )
    return columns


def _site_rows(columns: list[Column], links: Links, locale: str) -> list[Row]:
    if not columns:
        return []
    layer = columns[0].site.layer
    parks = [
        Cell(c.park.name, links.park(c.park.park_id)) if c.park else Cell("—") for c in columns
    ]
    return [
        Row(
            "id",
            layer.fields[layer.id_field].label(locale),
            [Cell(c.site.key, links.site(c.site)) for c in columns],
        ),
        Row("kind", _("Kind"), [Cell(c.site.kind_label) for c in columns]),
        Row("park", _("Park"), parks),
        Row("county", _("County"), [Cell(c.county or "—") for c in columns]),
        Row("area_mu", _("Area (mu)"), [Cell(_mu(c.site.area_mu)) for c in columns]),
        Row("area_m2", _("Area (m²)"), [Cell(_m2(c.site.square_metres)) for c in columns]),
    ]


def _mu(mu: float | None) -> str:
    return "—" if mu is None else _("%(mu)s mu", mu=number(mu))


def _m2(square_metres: float | None) -> str:
    return "—" if square_metres is None else f"{number(round(square_metres))} m²"


def _detail_rows(svc: Services, columns: list[Column]) -> list[Row]:
    """Land use, stage, the indicators and the price: each public detail field any of the
    sites has, in the layer files' popup order (parcels' first, then standard land's)."""
    rows: dict[str, list[FieldRow | None]] = {}
    for name in _detail_order(svc, columns):
        found = [next((r for r in c.site.rows if r.name == name), None) for c in columns]
        if any(found):
            rows[name] = found
    return [_field_row(name, found) for name, found in rows.items()]


def _detail_order(svc: Services, columns: list[Column]) -> list[str]:
    layers = svc.layers_for("public")
    declared = [public_layer(layers, i) for i in (PARCELS, STANDARD_LAND)]
    names = [n for layer in declared if layer is not None for n in detail_names(layer)]
    names += [r.name for c in columns for r in c.site.rows]  # a layer not declared above
    return list(dict.fromkeys(names))


def _field_row(name: str, found: list[FieldRow | None]) -> Row:
    label = next(r.label for r in found if r is not None)
    cells = [Cell(r.text if r is not None else "—") for r in found]
    if name == PRICE_FIELD:
        cells = _mark_lowest(cells, [r.value if r is not None else None for r in found])
    return Row(name, label, cells)


def _mark_lowest(cells: list[Cell], values: list) -> list[Cell]:
    """The lowest of two or more different numbers marked best (ties all marked)."""
    numbers = [float(v) if isinstance(v, int | float) else None for v in values]
    known = [v for v in numbers if v is not None]
    if len(known) < 2 or len(set(known)) == 1:
        return cells
    lowest = min(known)
    return [Cell(c.text, c.url, v == lowest) for c, v in zip(cells, numbers, strict=True)]


def _park_rows(columns: list[Column]) -> list[Row]:
    rows = []
    for name in PARK_ROWS:
        found = [c.park.row(name) if c.park else None for c in columns]
        if any(found):
            rows.append(_field_row(name, found))
    return rows


def _distance_rows(columns: list[Column]) -> list[Row]:
    """One row per kind of landmark any site has a distance to (county seat first)."""
    rows = []
    for kind in KINDS:
        found = [next((d for d in c.distances if d.kind == kind), None) for c in columns]
        if any(found):
            cells = [Cell(_distance(d)) if d else Cell("—") for d in found]
            rows.append(Row(kind, kind_label(kind), cells))
    return rows


def _distance(found: Distance) -> str:
    return _("%(km)s km (%(name)s)", km=f"{found.km:g}", name=found.name)
