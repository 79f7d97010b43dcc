"""招商线索: the enquiries of the official's jurisdiction, and moving them along.

Officials read the leads of the parks in their jurisdiction; editors move a lead forward
(new → contacted → closed) with a change set based on the version they saw, so two people
handling one lead do not overwrite each other: the second is told and shown the lead again.
"""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from geoapp.auth.access import Forbidden
from geoapp.invest.leads import STATUSES, leads_in, move_lead, status_label
from geoapp.query import whole_number
from geoapp.services import services
from geoapp.stores import ChangeRefused

bp = Blueprint("leads", __name__)
bp.add_app_template_global(status_label, "status_label")


@bp.get("/leads")
def index():
    status = request.args.get("status")
    return _page(status if status in STATUSES else None)


@bp.post("/leads/<lead_id>")
def move(lead_id: str):
    """Move one lead forward (editors of its jurisdiction)."""
    if not current_user.may("editor"):
        raise Forbidden(_("Only an editor may move a lead along."))
    version = whole_number("version", request.form.get("version", ""), 0, 2**62)
    try:
        move_lead(
            services().store, current_user.scope, lead_id, request.form.get("status", ""),
            version, current_user.username,
        )  # fmt: skip
    except ChangeRefused as refused:
        return _page(None, refused.messages(str(get_locale()))), 409
    return redirect(url_for(".index", moved=lead_id))


def _page(status: str | None, refused: list[str] | None = None):
    store = services().store
    return render_template(
        "leads.html",
        leads=leads_in(store, current_user.scope, status),
        status=status,
        statuses=STATUSES,
        refused=refused or [],
        areas=services().areas(),
    )
