"""Layer declarations: the shipped ones load; each kind of bad one is refused by file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from geoapp import create_app
from geoapp.config import PROJECT_ROOT
from geoapp.errors import ConfigError
from geoapp.layers import load_layer, load_layers

GOOD = """
id = "sites"
title = { zh = "地块", en = "Sites" }
table = "sites"
id_field = "code"
geometry = "polygon"
audience = "public"
popup = ["code", "state"]
filters = ["state"]
summary = ["area"]

[style]
fill = "state"

[fields.code]
label = { zh = "编号", en = "Code" }

[fields.area]
label = { zh = "面积", en = "Area" }
type = "number"

[fields.state]
label = { zh = "状态", en = "State" }
type = "enum"
values.free = { label = { zh = "可供", en = "Free" }, color = "#2e7d32" }
values.used = { label = { zh = "已占用", en = "Used" }, color = "#9e9e9e" }
"""


def write(folder: Path, text: str, name: str = "sites.toml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_layers_load_in_drawing_order():
    layers = load_layers(PROJECT_ROOT / "layers")
    assert [lyr.id for lyr in layers] == [
        "boundaries",
        "parks",
        "parcels",
        "standard_land",
        "projects",
    ]
    projects = layers[-1]
    assert projects.audience == "internal"
    assert projects.fields["status"].value("construction").label.zh == "在建"
    assert projects.style.fill == "status" and projects.style.stroke == "warning"


def test_good_declaration_loads(tmp_path):
    layer = load_layer(write(tmp_path, GOOD))
    assert layer.id == "sites" and layer.geometry == "polygon"
    assert [v.key for v in layer.fields["state"].values] == ["free", "used"]
    assert layer.filters == ("state",) and layer.summary == ("area",)
    assert layer.title("en") == "Sites" and layer.title("zh") == "地块"


def test_public_clients_never_get_internal_fields():
    projects = load_layer(PROJECT_ROOT / "layers" / "projects.toml")
    public = projects.visible_fields("public")
    for internal in ("leader", "owner", "total_investment", "warning", "unit"):
        assert internal not in public
        assert internal in projects.visible_fields("internal")


def top(text: str, line: str) -> str:
    """Add a top-level key (before the first table header)."""
    return text.replace("[style]", f"{line}\n\n[style]", 1)


BAD = [
    # (change to the good text, key named in the message)
    (lambda t: t.replace('id = "sites"\n', ""), "id: is required"),
    (lambda t: t.replace('id = "sites"', 'id = "Sites!"'), "id: must be lower-case"),
    (lambda t: t.replace('geometry = "polygon"', 'geometry = "blob"'), "geometry: must be one of"),
    (lambda t: t.replace('audience = "public"', 'audience = "all"'), "audience: must be one of"),
    (lambda t: t.replace('table = "sites"', "table = 3"), "table: must be text"),
    (lambda t: top(t, 'colour = "red"'), "colour: unknown key"),
    (lambda t: t.replace('fill = "state"', 'fill = "nope"'), "style.fill: names no declared"),
    (lambda t: t.replace('fill = "state"', 'fill = "code"'), "style.fill: field 'code' must be"),
    (lambda t: t.replace(', color = "#9e9e9e"', ""), "style.fill: values of 'state' need"),
    (lambda t: t.replace('"#2e7d32"', '"green"'), "fields.state.values.free.color: must be"),
    (lambda t: t.replace('popup = ["code", "state"]', 'popup = ["nope"]'), "popup: names no"),
    (lambda t: t.replace('filters = ["state"]', 'filters = ["area"]'), "filters: field 'area'"),
    (lambda t: t.replace('summary = ["area"]', 'summary = ["code"]'), "summary: field 'code'"),
    (lambda t: t.replace('type = "number"', 'type = "money"'), "fields.area.type: must be one"),
    (
        lambda t: t.replace('label = { zh = "编号", en = "Code" }', 'label = { zh = "编号" }'),
        "fields.code.label.en: is required",
    ),
    (lambda t: top(t, "min_zoom = 40"), "min_zoom: must be between 0 and 22"),
    (lambda t: t.replace("[style]", "[style]\nfill_opacity = 2"), "style.fill_opacity: must be"),
    (lambda t: t.replace("[style]", "[style]\nweight = true"), "style.weight: must be"),
    (lambda t: top(t, 'area = { town = "code" }'), "area.town: unknown key"),
    (lambda t: top(t, "tiles_above = -1"), "tiles_above: must be 0 or more"),
    (lambda t: top(t, "cluster = true"), "cluster: only point layers"),
    (lambda t: top(t, 'cluster = "yes"'), "cluster: must be bool"),
    (lambda t: top(t, "overview_below = 9"), "overview_below: needs cluster = true"),
    (lambda t: top(t, "overview_below = 30"), "overview_below: must be between 0 and 22"),
    (lambda t: top(t, "labels_from = 23"), "labels_from: must be between 0 and 22"),
    (lambda t: top(t, "labels_from = 9"), "labels_from: needs a label_field"),
    (lambda t: t.replace('geometry = "polygon"', "geometry = [1"), "not valid TOML"),
]


@pytest.mark.parametrize(("change", "expected"), BAD)
def test_bad_declaration_names_file_and_key(tmp_path, change, expected):
    path = write(tmp_path, change(GOOD))
    with pytest.raises(ConfigError) as caught:
        load_layer(path)
    assert str(caught.value).startswith("sites.toml: ")
    assert expected in str(caught.value)


def test_duplicate_ids_name_both_files(tmp_path):
    write(tmp_path, GOOD, "a.toml")
    write(tmp_path, GOOD, "b.toml")
    with pytest.raises(ConfigError, match=r"b\.toml: id: 'sites' is also declared in a\.toml"):
        load_layers(tmp_path)


def test_empty_folder_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="no layer declarations"):
        load_layers(tmp_path)


def test_app_refuses_to_start_on_a_bad_declaration(tmp_path, gpkg):
    write(tmp_path, GOOD.replace('geometry = "polygon"', 'geometry = "blob"'))
    with pytest.raises(ConfigError, match=r"sites\.toml: geometry"):
        create_app({"GEOAPP_DATA": gpkg, "GEOAPP_LAYERS_DIR": tmp_path})


def test_mode_switches_at_the_declared_threshold(tmp_path):
    polygons = load_layer(write(tmp_path, top(GOOD, "tiles_above = 10")))
    assert (polygons.mode(10), polygons.mode(11)) == ("inline", "tiles")
    assert load_layer(write(tmp_path, GOOD)).mode(10**6) == "inline"  # no threshold declared
    points = load_layer(PROJECT_ROOT / "layers" / "projects.toml")
    assert points.cluster and points.mode(points.tiles_above + 1) == "points"
