"""Settings: defaults, environment, and refusal of contradictory values by variable name."""

from __future__ import annotations

import pytest

from geoapp import create_app
from geoapp.basemaps import basemap_layers
from geoapp.config import PROJECT_ROOT, Config
from geoapp.errors import ConfigError
from tests.accounts import signed_in


def test_defaults_are_inside_the_checkout(monkeypatch):
    for name in ("GEOAPP_DATA", "GEOAPP_LAYERS_DIR", "GEOAPP_BASEMAP", "GEOAPP_LOCALE"):
        monkeypatch.delenv(name, raising=False)
    config = Config.load()
    assert config.data == PROJECT_ROOT / "data" / "geoapp.gpkg"
    assert config.layers_dir == PROJECT_ROOT / "layers"
    assert config.basemap == "none" and config.locale == "zh"
    assert basemap_layers(config) == []  # no tile server by default


def test_environment_overrides_defaults(monkeypatch, tmp_path):
    monkeypatch.setenv("GEOAPP_DATA", str(tmp_path / "x.gpkg"))
    monkeypatch.setenv("GEOAPP_LOCALE", "en")
    config = Config.load()
    assert config.data == tmp_path / "x.gpkg" and config.locale == "en"


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"GEOAPP_LOCALE": "fr"}, "GEOAPP_LOCALE"),
        ({"GEOAPP_BASEMAP": "google"}, "GEOAPP_BASEMAP must be one of"),
        ({"GEOAPP_BASEMAP": "tianditu"}, "needs GEOAPP_TIANDITU_KEY"),
        ({"GEOAPP_BASEMAP": "custom"}, "needs GEOAPP_TILE_URL"),
        ({"GEOAPP_LAYERS_DIR": "/nonexistent/layers"}, "GEOAPP_LAYERS_DIR is not a folder"),
        ({"GEOAPP_NOPE": "1"}, "unknown setting 'GEOAPP_NOPE'"),
    ],
)
def test_bad_settings_are_refused_by_name(settings, message):
    with pytest.raises(ConfigError, match=message):
        Config.load(settings)


def test_tianditu_basemap_carries_the_key_and_a_label_layer():
    config = Config.load({"GEOAPP_BASEMAP": "tianditu", "GEOAPP_TIANDITU_KEY": "k123"})
    layers = basemap_layers(config)
    assert len(layers) == 2 and all("tk=k123" in layer.tiles for layer in layers)


def test_amap_basemap_shifts_data_to_gcj02(gpkg):
    app = create_app({"GEOAPP_DATA": gpkg, "GEOAPP_BASEMAP": "amap"})
    plain = create_app({"GEOAPP_DATA": gpkg})
    shifted_html = signed_in(app).get("/").get_data(as_text=True)
    plain_html = signed_in(plain).get("/").get_data(as_text=True)
    assert "[106.805,34.855]" in plain_html  # project A1 in WGS84
    assert "[106.805,34.855]" not in shifted_html  # moved onto AMap's GCJ-02 grid
    assert "autonavi" in shifted_html and "autonavi" not in plain_html
