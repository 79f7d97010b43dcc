"""招商线索: the enquiries investors send, kept as records, handled by the park's officials.

A lead is a row of ``leads`` (no geometry), written through a change set like any record, so
the history says who moved it when. Its key is a hash of what was asked about, the phone and
the message: the same enquiry sent twice (a double click, a reload, a second worker) is one
lead. Each lead carries the county of the park it concerns, and officials see the leads of
their jurisdiction only. Leads are internal: no public page or API reads this table.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from flask_babel import lazy_gettext

from geoapp.auth.scope import Scope
from geoapp.errors import BadRequest, NotFound
from geoapp.stores.base import Query, Store
from geoapp.stores.changes import Change, ChangeRefused, ChangeSet, FieldSpec, TableSchema

LEADS_TABLE = "leads"
STATUSES = ("new", "contacted", "closed")  # a lead only moves forward
TEXT_FIELDS = ("subject_layer", "subject_id", "subject_name", "park_id", "county_code")
FORM_FIELDS = ("name", "company", "phone", "message")
AUTHOR = "enquiry"  # the change set of an anonymous visitor's enquiry
MAX_LISTED = 1000


def leads_schema() -> TableSchema:
    text = FieldSpec("text")
    fields = {name: text for name in ("lead_id", *TEXT_FIELDS, *FORM_FIELDS, "received")}
    fields["status"] = FieldSpec("enum", frozenset(STATUSES))
    return TableSchema(LEADS_TABLE, ("lead_id",), fields, "none")


def status_label(status: str) -> str:
    return {
        "new": lazy_gettext("New"),
        "contacted": lazy_gettext("Contacted"),
        "closed": lazy_gettext("Closed"),
    }.get(status, status)


@dataclass(frozen=True)
class Subject:
    """What an enquiry is about: a park or a site, with the park and county it lies in."""

    layer: str
    key: str
    name: str
    park_id: str | None
    county_code: str | None


def lead_key(subject: Subject, phone: str, message: str) -> str:
    """The same subject, phone (digits) and message (spaces folded) give the same key."""
    digits = re.sub(r"\D", "", phone)
    text = " ".join(message.split())
    joined = "\x1f".join((subject.layer, subject.key, digits, text))
    return hashlib.sha256(joined.encode()).hexdigest()[:20]


def save_lead(store: Store, subject: Subject, sent: Mapping[str, str]) -> str:
    """Keep an enquiry (checked by the form) as a new lead, once; its key."""
    key = lead_key(subject, sent["phone"], sent["message"])
    if _rows(store, Query(any_of={"lead_id": frozenset([key])})):
        return key
    values = {
        "subject_layer": subject.layer,
        "subject_id": subject.key,
        "subject_name": subject.name,
        "park_id": subject.park_id,
        "county_code": subject.county_code,
        **{name: sent.get(name, "") for name in FORM_FIELDS},
        "status": STATUSES[0],
        "received": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    try:
        store.apply(ChangeSet(AUTHOR, [Change("insert", LEADS_TABLE, (key,), values)]))
    except ChangeRefused as refused:  # the same enquiry, sent at the same moment
        if not all(r.reason == "exists" for r in refused.refusals):
            raise
    return key


@dataclass(frozen=True)
class Lead:
    key: str
    values: dict[str, str]
    version: int  # the row's version, which a status change is based on

    @property
    def status(self) -> str:
        return self.values.get("status") or STATUSES[0]

    @property
    def next_statuses(self) -> tuple[str, ...]:
        return STATUSES[STATUSES.index(self.status) + 1 :] if self.status in STATUSES else ()


def leads_in(store: Store, scope: Scope, status: str | None = None) -> list[Lead]:
    """The leads of a jurisdiction (of one status when asked), newest first."""
    query = scope.narrow_on("county_code", Query())
    if status in STATUSES:
        query = Query(any_of={"status": frozenset([status])}, prefix=query.prefix)
    return _rows(store, query)


def move_lead(store: Store, scope: Scope, key: str, status: str, version: int, author: str):
    """Move a lead of the jurisdiction forward to ``status``, based on the version the
    official saw: a lead someone else moved since is a conflict (``ChangeRefused``)."""
    found = _rows(
        store, scope.narrow_on("county_code", Query(any_of={"lead_id": frozenset([key])}))
    )
    if not found:
        raise NotFound(lazy_gettext("There is no such lead in your jurisdiction."))
    if status not in found[0].next_statuses:
        raise BadRequest(lazy_gettext("A lead moves forward only: new, contacted, closed."))
    change = Change("update", LEADS_TABLE, (key,), {"status": status}, base_version=version)
    store.apply(ChangeSet(author, [change]))


def _rows(store: Store, query: Query) -> list[Lead]:
    if LEADS_TABLE not in store.tables():
        return []
    frame = store.read(LEADS_TABLE, query)
    versions = _versions(store)
    leads = [
        Lead(
            str(row["lead_id"]),
            {n: "" if row.get(n) is None else str(row.get(n)) for n in leads_schema().fields},
            versions.get(str(row["lead_id"]), 0),
        )
        for _, row in frame.iterrows()
    ]
    return sorted(leads, key=lambda lead: lead.values["received"], reverse=True)[:MAX_LISTED]


def _versions(store: Store) -> dict[str, int]:
    """Each lead's newest history entry (newest first, so the first seen wins)."""
    found: dict[str, int] = {}
    for entry in store.history(LEADS_TABLE, limit=100_000):
        found.setdefault(entry.key[0], entry.version)
    return found
