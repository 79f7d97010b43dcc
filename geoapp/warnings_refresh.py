"""The map's warnings brought to a reporting date: each project's colour and reason worked out
anew from its dates and figures under the configured rules, and written where they changed.

A warning depends on the day (a project not started turns yellow the month after its planned
start, red later; time progress moves every day), so the stored colours the map, tiles and
exports draw go stale unless refreshed: ``geoapp warnings refresh`` does it (``make run`` at
start, a daily cron job on a server). Rates, rankings, the dashboard and prints do not wait for
it: they work warnings out for their own reporting date (``progress.warnings_at``).
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from geoapp.layers import LayerDef
from geoapp.progress import WARNING_INPUTS, WarningRules, warnings_at
from geoapp.stores.base import Query, Store
from geoapp.stores.changes import Change, ChangeSet

WARNING_FIELDS = ("warning", "warning_reason")


def refresh_warnings(store: Store, layer: LayerDef, rules: WarningRules, as_of: date) -> int:
    """Write the warnings of ``as_of`` where they differ from the stored ones; how many."""
    columns = (layer.id_field, *WARNING_INPUTS, *WARNING_FIELDS)
    stored = store.read(layer.table, Query(columns=columns))
    now = warnings_at(stored, as_of, rules)
    rows = zip(
        stored[layer.id_field], now["warning"], now["warning_reason"],
        stored["warning"], stored["warning_reason"], strict=True,
    )  # fmt: skip
    changes = [
        Change("update", layer.table, (str(code),), {"warning": colour, "warning_reason": why})
        for code, colour, why, old_colour, old_why in rows
        if (colour, why or None) != (_text(old_colour), _text(old_why))
    ]
    if changes:
        store.apply(ChangeSet(f"warnings:{as_of.isoformat()}", changes))
    return len(changes)


def _text(value) -> str | None:
    return None if value is None or pd.isna(value) or value == "" else str(value)
