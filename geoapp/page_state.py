"""What the URL says about the map besides filters: its view, hidden layers, the selection.

``view=12/34.89/106.85`` (zoom/lat/lon) keeps the map where the user left it;
``hide=parcels,parks`` keeps layers switched off; ``sel=projects:12`` reopens a feature's
popup. Copying the address therefore reproduces exactly what is on the screen.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlencode

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from geoapp.errors import BadRequest

DASHBOARD_PARAMS = ("as_of", "by")  # the dashboard's own: its reporting date, its 红黑榜
_VIEW = re.compile(r"^(\d{1,2})/(-?\d{1,2}(?:\.\d+)?)/(-?\d{1,3}(?:\.\d+)?)$")
_SEL = re.compile(r"^([a-z][a-z0-9_]*):(\d{1,12})$")


@dataclass(frozen=True)
class PageState:
    view: tuple[int, float, float] | None = None  # zoom, lat, lon
    hidden: frozenset[str] = field(default_factory=frozenset)
    selected: tuple[str, int] | None = None


def parse_page_state(args: MultiDict, layer_ids: set[str]) -> tuple[PageState, list[BadRequest]]:
    errors: list[BadRequest] = []
    view = None
    raw = args.get("view", "").strip()
    if raw:
        match = _VIEW.match(raw)
        zoom, lat, lon = (int(match[1]), float(match[2]), float(match[3])) if match else (0, 0, 0)
        if match and zoom <= 22 and abs(lat) <= 85 and abs(lon) <= 180:
            view = (zoom, lat, lon)
        else:
            errors.append(
                BadRequest(_("view must be zoom/lat/lon, e.g. 12/34.89/106.85."), param="view")
            )
    hidden = frozenset(h for h in args.get("hide", "").split(",") if h in layer_ids)
    selected = None
    raw = args.get("sel", "").strip()
    if raw:
        match = _SEL.match(raw)
        if match and match[1] in layer_ids:
            selected = (match[1], int(match[2]))
        else:
            errors.append(BadRequest(_("sel must be layer:id, e.g. projects:12."), param="sel"))
    return PageState(view, hidden, selected), errors


def shared_query(args: MultiDict) -> str:
    """The query of a link between the map page and the dashboard: the filter and the map's
    page state, without the dashboard's own reporting date and ranking."""
    return urlencode([(k, v) for k, v in args.items(multi=True) if k not in DASHBOARD_PARAMS])
