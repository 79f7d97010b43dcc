"""智能选址: rank every site against an investor's requirements and say why, requirement by
requirement.

Each requirement asked becomes a ``Check``: a value measured for every site (area, price, the
park's power, the km to a highway exit, the investment offered per 亩 …), the limit it must meet
(at least, at most, or both), and where it applies (the standard-land indicators only to
standard land, rent only to factory space). A site earns a requirement's weight in full when it
meets it, a part when it misses by less than the tolerance (a site 11 km from a highway exit
asked within 10 km is nearly right), nothing beyond, or when its value is not recorded. The
score is the weighted share earned, out of 100; the ranking breaks ties by fewer misses, then
by layer and site id, so the same URL gives the same list. Weights and tolerance come from
``siting.toml``.

It is arithmetic on the columns of ``siting_candidates``: 150,000 sites rank in milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from flask_babel import gettext as _
from shapely.geometry.base import BaseGeometry

from geoapp.geo import SQUARE_METRES_PER_MU
from geoapp.invest.siting_candidates import Candidates
from geoapp.invest.siting_checks import Check, build_checks
from geoapp.invest.siting_need import Need
from geoapp.invest.siting_settings import SitingSettings
from geoapp.ogc_html import number

MET, NEAR, MISSED, UNKNOWN = "met", "near", "missed", "unknown"


@dataclass(frozen=True)
class Reason:
    label: str
    status: str  # MET, NEAR, MISSED or UNKNOWN
    value: str  # the site's value with its unit, "—" when unknown
    asked: str


@dataclass(frozen=True)
class Ranked:
    rank: int
    layer: str
    key: str
    title: str
    kind: str
    park_id: str
    park_name: str
    county_code: str
    area_mu: float
    floor_m2: float | None
    score: float | None  # None: none of the requirements applies to this site
    met: int
    asked: int
    reasons: list[Reason]
    geometry: BaseGeometry

    @property
    def square_metres(self) -> float:
        return self.area_mu * SQUARE_METRES_PER_MU


@dataclass(frozen=True)
class Ranking:
    results: list[Ranked]
    considered: int  # sites of the kind asked
    fully_met: int  # of which meet every requirement that applies to them


def rank_sites(cands: Candidates, need: Need, settings: SitingSettings) -> Ranking:
    """The best ``settings.shortlist`` sites of the kind asked, with their reasons."""
    sites = cands.of_kind(need.kind)
    checks = build_checks(sites, need)
    earned, possible, met, misses, applicable = _tally(checks, settings, len(sites))
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.where(possible > 0, 100 * earned / possible, np.nan)
    top = _best(-np.nan_to_num(score, nan=-1.0), misses, settings.shortlist)
    statuses = [_statuses(c, top) for c in checks]
    results = []
    for n, i in enumerate(top):
        reasons = [_reason(c, s[n], i) for c, s in zip(checks, statuses, strict=True)]
        applying = [r for c, r in zip(checks, reasons, strict=True) if c.applies[i]]
        results.append(
            _ranked(n + 1, sites.row(i), sites.geometry[i], score[i], met[i], applicable[i],
                    applying)
        )  # fmt: skip
    fully = int(np.sum((misses == 0) & (applicable > 0)))
    return Ranking(results, len(sites), fully)


def _best(key: np.ndarray, misses: np.ndarray, count: int) -> np.ndarray:
    """Positions of the ``count`` smallest ``key`` (then fewest misses, then position: the
    table is in id order); only the sites that can make the list are sorted."""
    pool = np.arange(len(key))
    if len(key) > count:
        kth = np.partition(key, count - 1)[count - 1]
        pool = np.flatnonzero(key <= kth)
    return pool[np.lexsort((pool, misses[pool], key[pool]))][:count]


def _tally(checks: list[Check], settings: SitingSettings, size: int):
    """Per site: weight earned, weight possible, requirements met, missed and applying."""
    earned, possible = np.zeros(size), np.zeros(size)
    met, misses, applicable = (np.zeros(size, dtype=np.int32) for _ in range(3))
    for check in checks:
        weight = settings.weights[check.key]
        credit = _credit(check, settings.tolerance)
        fully = credit >= 1
        if check.applies.all():  # most requirements concern every site: no mask to apply
            earned += weight * credit
            possible += weight
            met += fully
            misses += ~fully
            applicable += 1
            continue
        applies = check.applies
        earned += np.where(applies, weight * credit, 0)
        possible += weight * applies
        met += applies & fully
        misses += applies & ~fully
        applicable += applies
    return earned, possible, met, misses, applicable


def _credit(check: Check, tolerance: float) -> np.ndarray:
    """1 when the value meets the limits; falling to 0 at ``tolerance`` beyond; 0 unknown."""
    value = check.value
    with np.errstate(invalid="ignore", divide="ignore"):
        gaps = []
        if check.low is not None:
            gaps.append(_short_of(value, check.low))
        if check.high is not None:
            gaps.append(_beyond(value, check.high))
        short = gaps[0] if len(gaps) == 1 else np.maximum(*gaps)
        credit = np.clip(1 - short / tolerance, 0, 1)  # a value within its limits: 1
    credit[np.isnan(credit) | np.isnan(value)] = 0.0
    return credit


def _short_of(value: np.ndarray, low: np.ndarray | float) -> np.ndarray:
    """How far below ``low``, as a share of it (NaN where the limit is not recorded)."""
    if np.ndim(low) == 0:
        return (low - value) / low if low > 0 else np.zeros_like(value)
    gap = np.where(low > 0, (low - value) / low, 0.0)
    gap[np.isnan(low)] = np.nan
    return gap


def _beyond(value: np.ndarray, high: float) -> np.ndarray:
    """How far above ``high``, as a share of it (anything above a limit of 0 is too far)."""
    if high > 0:
        return (value - high) / high
    return np.where(value > high, np.inf, 0.0)


def _statuses(check: Check, rows: np.ndarray) -> np.ndarray:
    """met, near, missed or unknown, for the sites at ``rows`` only."""
    check = _at(check, rows)
    credit = _credit(check, tolerance=1e-9)  # any shortfall at all is a miss
    near = _credit(check, tolerance=1.0)
    return np.where(
        np.isnan(check.value),
        UNKNOWN,
        np.where(credit >= 1, MET, np.where(near > 0, NEAR, MISSED)),
    )


def _at(check: Check, rows: np.ndarray) -> Check:
    def cut(limit):
        return limit[rows] if isinstance(limit, np.ndarray) else limit

    return replace(check, value=check.value[rows], low=cut(check.low), high=cut(check.high),
                   applies=check.applies[rows])  # fmt: skip


def _reason(check: Check, status: str, i: int) -> Reason:
    value = check.value[i]
    text = "—" if np.isnan(value) else _with_unit(value, check.unit)
    if check.key in ("gas", "steam", "industry") and not np.isnan(value):
        text = _("yes") if value >= 1 else _("no")
    return Reason(check.label, str(status), text, check.asked(i))


def _ranked(rank, row: dict, geometry, score, met, asked, reasons) -> Ranked:
    floor = row["floor_m2"]
    return Ranked(
        rank=rank,
        layer=row["layer"],
        key=row["key"],
        title=row["title"] or row["key"],
        kind=row["kind"],
        park_id=row["park_id"],
        park_name=row["park_name"] if isinstance(row["park_name"], str) else "",
        county_code=row["county_code"],
        area_mu=float(row["area_mu"]),
        floor_m2=None if np.isnan(floor) else float(floor),
        score=None if np.isnan(score) else round(float(score), 1),
        met=int(met),
        asked=int(asked),
        reasons=reasons,
        geometry=geometry,
    )


def _with_unit(value: float, unit: str) -> str:
    text = number(round(float(value), 2))
    return f"{text} {unit}".strip()
