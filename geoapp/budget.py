"""What one request may cost: a bound on its parameters, and a time budget for the step
whose cost grows with what the client writes rather than with the data asked for: CQL2
filter evaluation (each comparison is a pass over the table).

gunicorn's ``--timeout`` only restarts a worker whose main loop stops answering; with
threaded workers a busy request thread never trips it. So expensive steps call
``check_time()`` between pieces of work, and a request past its budget stops there with a
503 that says so, leaving the worker free for the next one.
"""

from __future__ import annotations

import time

from flask import Flask, g, has_request_context, request
from flask_babel import lazy_gettext

from geoapp.errors import BadRequest, GeoappError

MAX_PARAMS = 100  # query parameters, repeats counted: more is never a real filter


class OverBudget(GeoappError):
    """A request that ran past its time budget; nothing was changed."""

    status = 503

    def __init__(self, seconds: int) -> None:
        super().__init__(
            lazy_gettext(
                "This request would take longer than %(n)s seconds; narrow the filter or the "
                "area and try again.",
                n=seconds,
            )
        )

    @property
    def code(self) -> str:
        return "RequestTooCostly"


def check_time() -> None:
    """Stop the current request if it has run past its budget (no-op outside requests)."""
    if has_request_context() and "deadline" in g and time.monotonic() > g.deadline:
        raise OverBudget(g.budget_seconds)


def register_budget(app: Flask, seconds: int) -> None:
    @app.before_request
    def start_budget() -> None:
        if sum(1 for _ in request.args.items(multi=True)) > MAX_PARAMS:
            raise BadRequest(
                lazy_gettext("More than %(n)s parameters in one request.", n=MAX_PARAMS),
                param="query",
            )
        _refuse_nul(request.args)
        if request.mimetype == "application/x-www-form-urlencoded":
            _refuse_nul(request.form)
        g.budget_seconds = seconds
        g.deadline = time.monotonic() + seconds


def _refuse_nul(params) -> None:
    """A NUL character is never part of a name or a filter, and PostgreSQL text cannot hold
    one: refused here, naming the parameter, rather than failing deep in a query."""
    for name, value in params.items(multi=True):
        if "\x00" in value or "\x00" in name:
            raise BadRequest(
                lazy_gettext("Parameter “%(name)s” contains a NUL character.", name=name[:40]),
                param=name[:40],
            )
