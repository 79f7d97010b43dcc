"""进度看板: what the dashboard shows of a filter at a reporting date, written out once.

The page renders this answer and the month slider fetches it again for another month's end
(``/api/dashboard``), so the page without scripts and the page replaying the year show the
same figures in the same words. Every number comes from ``geoapp.rates`` (rates, 红黑榜) and
``geoapp.progress`` (warnings of the date); nothing here counts.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pandas as pd
from flask_babel import format_date
from flask_babel import gettext as _

from geoapp.formatting import money, percent
from geoapp.layers import LayerDef
from geoapp.rates import Rates
from geoapp.replay import month_ends

MAX_LISTED = 200  # red and yellow projects listed; the count says how many there are in all
LIST_COLUMNS = ("name", "project_id", "county_code", "park_id", "warning", "warning_reason")
URGENCY = {"red": 0, "yellow": 1}  # the red list first


def figures(found: Rates) -> list[dict]:
    """The key figures, each with what it counts: the rates first, then counts and money."""
    r = found
    started = r.new_started.count + r.resumed.count
    n = "{:,}".format
    rates = [
        _rate("start_rate", _("Start rate"), r.start_rate,
              _("%(a)s of %(b)s due to start", a=n(r.started_of_planned), b=n(r.planned_to_start))),
        _rate("start_resume_rate", _("Start-or-resume rate"), r.start_resume_rate,
              _("%(a)s of %(b)s started or resumed", a=n(started), b=n(r.projects.count))),
        _rate("new_start_rate", _("New projects started"), r.new_start_rate,
              _("%(a)s of %(b)s new projects", a=n(r.new_started.count), b=n(r.new.count))),
        _rate("resume_rate", _("Continuing projects resumed"), r.resume_rate,
              _("%(a)s of %(b)s continuing", a=n(r.resumed.count), b=n(r.continuing.count))),
        _rate("investment_rate", _("Investment completion"), r.investment_rate,
              _("Time progress %(p)s", p=percent(r.time_progress))),
    ]  # fmt: skip
    mix = _("%(new)s new, %(old)s continuing", new=n(r.new.count), old=n(r.continuing.count))
    return [
        *rates,
        _figure("count", _("Projects"), n(r.projects.count), mix),
        _figure("total_investment", _("Total investment"), money(r.projects.total_investment)),
        _figure("annual_plan", _("Annual plan"), money(r.projects.annual_plan)),
        _figure("completed", _("Completed this year"), money(r.completed)),
    ]


def _rate(key: str, label: str, share: float | None, detail: str) -> dict:
    return _figure(key, label, percent(share), detail, share)


def _figure(key: str, label: str, value: str, detail: str = "", share=None) -> dict:
    """One figure as shown: its label, its value written out, what it counts, and the share
    (0–1) a rate's bar is drawn to."""
    return {"key": key, "label": label, "value": value, "detail": detail, "share": share}


def long_date(day: date) -> str:
    """2026年3月31日 / March 31, 2026."""
    return format_date(day, "long")


def slider_months(as_of: date, today: date) -> list[date]:
    """The reporting dates the slider moves between: each month's end of ``as_of``'s year up
    to today (or the year's end, or ``as_of`` if later), ``as_of`` itself in its month."""
    last = max(as_of, min(today, date(as_of.year, 12, 31)))
    ends = month_ends(as_of.year, last)
    ends[as_of.month - 1] = as_of
    return ends


def area_breakdown(projects: pd.DataFrame, layer: LayerDef) -> str:
    """What the area chart compares: the counties, or the parks when the filter's projects
    lie in one county (a county official sees their parks, not one bar)."""
    column = layer.area.get("county")
    counties = projects[column].dropna().nunique() if column in projects else 0
    return "park" if counties <= 1 and "park" in layer.area else "county"


def warning_list(
    projects: pd.DataFrame,
    layer: LayerDef,
    locale: str,
    place_of: Callable[[str | None, str | None], str],
    link: Callable[[int], str],
) -> dict:
    """The red and yellow projects of the date (columns ``LIST_COLUMNS`` with the warnings of
    that date), red first, each with its reason and the link to it on the map; how many of
    each colour there are."""
    colours = projects["warning"].astype("string")
    counts = {c: int((colours == c).sum()) for c in ("red", "yellow", "green")}
    warned = projects[colours.isin(list(URGENCY)).fillna(False).to_numpy()]
    order = warned.assign(_urgency=warned["warning"].map(URGENCY)).sort_values(
        ["_urgency", "county_code", "name"], kind="stable"
    )
    field = layer.fields["warning"]
    labels = {v.key: v.label(locale) for v in field.values}
    rows = [
        {
            "fid": int(fid),
            "name": row["name"],
            "code": row["project_id"],
            "place": place_of(row["county_code"], row["park_id"]),
            "colour": row["warning"],
            "label": labels[row["warning"]],
            "reason": row["warning_reason"],
            "href": link(int(fid)),
        }
        for fid, row in order.head(MAX_LISTED).iterrows()
    ]
    listed = {"listed": len(rows), "total": len(warned), "rows": rows}
    return {"counts": counts, "labels": labels} | listed
