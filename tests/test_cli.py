"""The ``geoapp`` command: demo data and the start-up check."""

from __future__ import annotations

from click.testing import CliRunner

from geoapp.cli import main
from tests.fixtures import open_store


def test_demo_writes_a_geopackage_and_keeps_it_when_asked(tmp_path):
    out = tmp_path / "demo.gpkg"
    result = CliRunner().invoke(main, ["demo", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "projects 1288" in result.output
    assert len(open_store(out).read("projects")) == 1288
    mtime = out.stat().st_mtime_ns
    again = CliRunner().invoke(main, ["demo", "--out", str(out), "--if-missing"])
    assert again.exit_code == 0 and "keeping it" in again.output
    assert out.stat().st_mtime_ns == mtime


def test_check_passes_on_good_data(gpkg, monkeypatch):
    monkeypatch.setenv("GEOAPP_DATA", str(gpkg))
    result = CliRunner().invoke(main, ["check"])
    assert result.exit_code == 0
    assert "ok: 5 layers" in result.output


def test_check_fails_naming_a_missing_file(tmp_path, monkeypatch):
    missing = tmp_path / "gone.gpkg"
    monkeypatch.setenv("GEOAPP_DATA", str(missing))
    result = CliRunner().invoke(main, ["check"])
    assert result.exit_code == 1
    assert str(missing) in result.output


def test_history_then_restore_from_the_command_line(gpkg, monkeypatch):
    from geoapp.stores import Change, ChangeSet

    monkeypatch.setenv("GEOAPP_DATA", str(gpkg))
    store = open_store(gpkg)
    store.apply(ChangeSet("王科长", [Change("update", "projects", ("A1",), {"completed": 1.0})]))
    shown = CliRunner().invoke(main, ["history", "projects", "A1"])
    assert shown.exit_code == 0 and "王科长  update  projects A1" in shown.output
    assert "completed" in shown.output
    done = CliRunner().invoke(main, ["restore", "projects", "A1", "--version", "0"])
    assert done.exit_code == 0, done.output
    assert store.read("projects").set_index("project_id").at["A1", "completed"] != 1.0
    refused = CliRunner().invoke(main, ["restore", "projects", "A1", "--version", "77"])
    assert refused.exit_code == 1 and "没有版本 77" in refused.output
