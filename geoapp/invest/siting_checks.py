"""The requirements of a siting search, each as a ``Check`` over every candidate site.

One entry per thing an investor may ask (``siting_need.Need``): what is measured, the limit,
the unit, and which sites it concerns. The standard-land indicators compare the investor's plan
with the parcel's own control figures: the investment offered per 亩 against its 投资强度, the
expected tax per 亩 against its 亩均税收 — the two an office checks before it transfers the land.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from flask_babel import gettext as _

from geoapp.invest.site_table import SiteTable
from geoapp.invest.sites import STANDARD_LAND
from geoapp.invest.siting_candidates import FACTORY
from geoapp.invest.siting_need import Need
from geoapp.ogc_html import number


@dataclass(frozen=True)
class Check:
    key: str  # the weight's name in siting.toml
    label: str
    value: np.ndarray  # per site; NaN where not recorded
    low: np.ndarray | float | None  # at least …
    high: np.ndarray | float | None  # … at most
    applies: np.ndarray  # False: not a requirement of this kind of site
    unit: str
    asked: Callable[[int], str]  # the requirement for site i: "40–60 亩"


def build_checks(sites: SiteTable, need: Need) -> list[Check]:
    """A check for each requirement asked, in the order the form lists them."""
    kind = sites.column("kind")
    land, factory, standard = kind != FACTORY, kind == FACTORY, kind == STANDARD_LAND
    everywhere = np.ones(len(sites), dtype=bool)
    col = sites.column
    found: list[Check] = []

    def add(key, label, value, low, high, applies, unit, asked=None):
        if low is None and high is None:
            return
        text = asked or _limits(low, high, unit)
        found.append(Check(key, label, value, low, high, applies, unit, text))

    mu, m2, km = _("mu"), "m²", _("km")
    add("area", _("Area"), col("area_mu"), need.area_min, need.area_max, land, mu)
    add("floor", _("Floor area"), col("floor_m2"), need.floor_min, need.floor_max, factory, m2)
    if need.industry:
        asked = _constant(need.industry)
        add(
            "industry",
            _("Industry"),
            sites.names_industry(need.industry),
            1,
            None,
            everywhere,
            "",
            asked,
        )
    add("price", _("Reserve price"), col("price"), None, need.price_max, land, _("10k CNY/mu"))
    if need.budget is not None:
        cost = col("price") * col("area_mu")
        add("budget", _("Land cost"), cost, None, need.budget, land, _("10k CNY"))
    add("rent", _("Rent"), col("rent"), None, need.rent_max, factory, _("CNY/m² a month"))
    add("power", _("Power"), col("power_kva"), need.power_kva, None, everywhere, "kVA")
    for flag, label in (("gas", _("Natural gas")), ("steam", _("Steam"))):
        if getattr(need, flag):
            add(flag, label, col(flag), 1, None, everywhere, "", _constant(_("needed")))
    add("water", _("Water"), col("water"), need.water, None, everywhere, _("t/day"))
    for key, label in _distances():
        add(key, label, col(f"km_{_LANDMARK[key]}"), None, getattr(need, key), everywhere, km)
    area = col("area_mu")
    for key, label, offered, column in (
        ("invest_intensity", _("Investment intensity"), need.invest_wan, "intensity"),
        ("tax_per_mu", _("Tax per mu"), need.tax_wan, "tax_per_mu"),
    ):
        if offered is not None:
            required = col(column)
            with np.errstate(invalid="ignore", divide="ignore"):
                per_mu = np.where(area > 0, offered / area, np.nan)
            add(
                key,
                label,
                per_mu,
                required,
                None,
                standard,
                _("10k CNY/mu"),
                _per_mu_asked(required, area),
            )
    return found


_LANDMARK = {
    "highway": "highway_exit",
    "railway": "railway_station",
    "seat": "county_seat",
    "airport": "airport",
}


def _distances() -> list[tuple[str, str]]:
    return [
        ("highway", _("To a highway exit")),
        ("railway", _("To a railway station")),
        ("seat", _("To the county seat")),
        ("airport", _("To an airport")),
    ]


def _limits(low, high, unit: str) -> Callable[[int], str]:
    unit = f" {unit}" if unit else ""
    if low is not None and high is not None:
        text = _("%(low)s–%(high)s", low=number(low), high=number(high)) + unit
    elif low is not None:
        text = _("at least %(value)s", value=number(low)) + unit
    else:
        text = _("at most %(value)s", value=number(high)) + unit
    return _constant(text)


def _constant(text: str) -> Callable[[int], str]:
    return lambda _i: text


def _per_mu_asked(required: np.ndarray, area: np.ndarray) -> Callable[[int], str]:
    """The parcel's own control figure, and what it comes to for the whole parcel."""

    def asked(i: int) -> str:
        if np.isnan(required[i]):
            return _("not recorded for this parcel")
        return _(
            "at least %(per_mu)s 10k CNY/mu (%(total)s 10k CNY for this parcel)",
            per_mu=number(required[i]),
            total=number(round(required[i] * area[i])),
        )

    return asked
