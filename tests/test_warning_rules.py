"""The warning rules file: the default one is domain.md's rule set; a county's own thresholds
change the colours; a file with an unknown key or thresholds that cannot hold stops the app,
naming the file and the key; ``geoapp warnings refresh`` brings stored warnings to a date."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from geoapp import create_app
from geoapp.config import PROJECT_ROOT
from geoapp.errors import ConfigError
from geoapp.progress import WarningRules, project_warning
from geoapp.warning_rules import load_rules
from geoapp.warnings_refresh import refresh_warnings
from tests.fixtures import open_store, settings_for


def test_the_shipped_rules_are_the_default_rules():
    assert load_rules(PROJECT_ROOT / "warnings.toml") == WarningRules()


def test_a_countys_own_thresholds_change_the_colours(tmp_path):
    strict = tmp_path / "warnings.toml"
    strict.write_text("[start]\nred_after_months = 2\n[investment]\nyellow_points = 5\n")
    rules = load_rules(strict)
    assert project_warning(date(2026, 3, 1), None, 1, 0, date(2026, 5, 31), rules)[0] == "red"
    assert project_warning(date(2026, 3, 1), None, 1, 0, date(2026, 5, 31))[0] == "yellow"
    as_of = date(2026, 12, 31)
    assert project_warning(None, date(2026, 1, 1), 100, 93, as_of, rules)[0] == "yellow"


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("[start]\nred_after_month = 3\n", "unknown key start.red_after_month"),
        ("[begin]\nred_after_months = 3\n", "unknown section [begin]"),
        ("[start]\nred_after_months = 'three'\n", "start.red_after_months must be a whole number"),
        ("[start]\nred_after_months = 2.5\n", "start.red_after_months must be a whole number"),
        ("[investment]\nred_points = 130\n", "investment.red_points must be from 0 to 100"),
        ("[investment]\nyellow_points = 40\n", "investment.yellow_points (40) is more than"),
        ("[start]\nyellow_after_months = 4\n", "start.yellow_after_months (4) is after"),
        ("[start\n", "not a TOML file"),
    ],
)
def test_a_bad_rules_file_stops_the_app_naming_file_and_key(tmp_path, gpkg, text, said):
    bad = tmp_path / "county-warnings.toml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        create_app(settings_for(gpkg) | {"GEOAPP_WARNINGS": str(bad)})
    assert str(bad) in str(refused.value) and said in str(refused.value)


def test_a_missing_rules_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match=r"nowhere\.toml"):
        load_rules(Path(tmp_path / "nowhere.toml"))


def test_refresh_brings_the_stored_warnings_to_a_date_and_writes_only_changes(where):
    store = open_store(where)
    layer = next(
        lyr for lyr in create_app(settings_for(where)).extensions["geoapp"].layers
        if lyr.table == "projects"
    )  # fmt: skip
    first = refresh_warnings(store, layer, WarningRules(), date(2026, 12, 31))
    assert first > 0
    assert refresh_warnings(store, layer, WarningRules(), date(2026, 12, 31)) == 0
    rows = store.read("projects")
    late = rows[rows["actual_start"].isna() & rows["planned_start"].notna()]
    assert set(late["warning"]) == {"red"} and all("未开工" in r for r in late["warning_reason"])
    entries = store.history("projects")
    assert entries[0].author == "warnings:2026-12-31" and set(entries[0].fields) <= {
        "warning",
        "warning_reason",
    }
