"""Fixtures: a tiny real GeoPackage → app → test client; the demo data set, built once."""

from __future__ import annotations

from pathlib import Path

import pytest

from geoapp import create_app
from geoapp.config import PROJECT_ROOT
from geoapp.stores import GeoPackageStore
from tests.fixtures import tiny_frames


@pytest.fixture
def gpkg(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.gpkg"
    GeoPackageStore.create(path, tiny_frames())
    return path


@pytest.fixture
def app(gpkg: Path):
    return create_app({"GEOAPP_DATA": gpkg})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def demo_frames():
    from geoapp.demo.generate import build_demo

    return build_demo(PROJECT_ROOT / "data" / "boundaries.geojson")


@pytest.fixture(scope="session")
def demo_gpkg(demo_frames, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.gpkg"
    GeoPackageStore.create(path, demo_frames)
    return path
