"""The column mapping of a sheet as a step the user sees, changes and saves.

Every column of the sheet is shown beside the field it maps to (or "not used") with sample
values. A column that no accepted header names but that resembles one closely (``计划总技资``
for 计划总投资: rapidfuzz's ratio ≥ ``NEAR_MISS``) is a warning the user must answer — map it,
or mark it "not used" — before the import can be applied: a figure silently dropped is what
made imports look right and be wrong.

The user's choices for a sheet layout (its header row, normalised) can be saved in the store
(table ``import_mappings``, written through change sets like any record), so next month's
sheet of the same layout maps itself on every app server.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from geoapp.imports.sheets import HeaderMap, RawTable, header_forms, normalise_header
from geoapp.stores.base import Query, Store
from geoapp.stores.changes import GEOMETRY, Change, ChangeSet, FieldSpec, TableSchema

MAPPINGS_TABLE = "import_mappings"
NEAR_MISS = 80  # rapidfuzz ratio (0–100) from which an unmapped header "looks like" a field
SAMPLES = 3


def mappings_schema() -> TableSchema:
    text = FieldSpec("text")
    return TableSchema(
        MAPPINGS_TABLE,
        ("layout", "column"),
        {"layout": text, "column": text, "field": text},
        "none",  # a record without a place
    )


@dataclass(frozen=True)
class ColumnPlan:
    """One column of the sheet: where it goes, what it holds, what it resembles."""

    header: str
    field: str | None  # the field it is imported into; None: not used
    samples: tuple[str, ...]
    looks_like: str | None = None  # a field it resembles while not mapped
    chosen: bool = False  # the user mapped it, or marked it not used

    @property
    def unanswered(self) -> bool:
        return self.field is None and self.looks_like is not None and not self.chosen


def layout_key(headers: list[str]) -> str:
    """The same header row (spaces, case and width aside) gives the same key."""
    text = "\x1f".join(normalise_header(h)[0] for h in headers)
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def column_plan(
    table: RawTable, header_map: HeaderMap, skipped: Iterable[int] = ()
) -> list[ColumnPlan]:
    """Every column of the sheet with its field and samples from data rows (not the totals
    and group headings in ``skipped``)."""
    words = header_map.words()
    skip = set(skipped)
    plans = []
    for header in table.headers:
        found = header_map.match(header)
        samples = _samples(table, header, skip)
        chosen = header in header_map.overrides
        near = None
        if found is None and not header_map.ignored(header):
            near = _near_miss(header, words)
        plans.append(ColumnPlan(header, found.field if found else None, samples, near, chosen))
    return plans


def saved_overrides(store: Store, layout: str) -> dict[str, str]:
    """The column choices saved for this layout ({} when none were)."""
    if MAPPINGS_TABLE not in store.tables():
        return {}
    rows = store.read(MAPPINGS_TABLE, Query(any_of={"layout": frozenset([layout])}))
    return {
        str(c): "" if f is None else str(f)
        for c, f in zip(rows["column"], rows["field"], strict=True)
    }


def save_overrides(store: Store, layout: str, overrides: dict[str, str], author: str) -> None:
    """Keep these choices for the layout (one change set: inserted or updated per column)."""
    stored = saved_overrides(store, layout)
    changes = []
    for column, field in overrides.items():
        if column in stored and stored[column] == field:
            continue
        if column in stored:
            changes.append(Change("update", MAPPINGS_TABLE, (layout, column), {"field": field}))
        else:
            values = {"layout": layout, "column": column, "field": field, GEOMETRY: None}
            changes.append(Change("insert", MAPPINGS_TABLE, (layout, column), values))
    if changes:
        store.apply(ChangeSet(author, changes))


def _samples(table: RawTable, header: str, skip: set[int]) -> tuple[str, ...]:
    found: list[str] = []
    for number, cells in table.rows:
        if number in skip:
            continue
        value = cells.get(header)
        if value is not None and str(value).strip():
            found.append(str(value)[:40])
            if len(found) == SAMPLES:
                break
    return tuple(found)


def _near_miss(header: str, words: dict[str, str]) -> str | None:
    best = None
    for form in header_forms(header)[0]:
        if len(form) < 2:
            continue
        hit = process.extractOne(form, words.keys(), scorer=fuzz.ratio, score_cutoff=NEAR_MISS)
        if hit is not None and (best is None or hit[1] > best[1]):
            best = hit
    return words[best[0]] if best else None
