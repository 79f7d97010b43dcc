"""Fixtures: a tiny real GeoPackage → app → test client; the demo data set, built once."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import pytest

# Every app under test, and every gunicorn it starts, signs sessions with one random key.
os.environ.setdefault("GEOAPP_SECRET_KEY", secrets.token_hex(32))

from geoapp import create_app
from geoapp.config import PROJECT_ROOT
from geoapp.stores import GeoPackageStore
from tests.accounts import signed_in
from tests.fixtures import SCHEMAS, SqlReads, settings_for, tiny_frames
from tests.postgis_cluster import Cluster

BACKENDS = ["geopackage", "postgis", "postgis-sql"]  # postgis-sql: queries and tiles in SQL


@pytest.fixture
def gpkg(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.gpkg"
    GeoPackageStore.create(path, tiny_frames())
    return path


@pytest.fixture(scope="session")
def postgis_cluster():
    """One PostgreSQL + PostGIS server for the whole run (each test gets its own database)."""
    cluster = Cluster()
    yield cluster
    cluster.stop()


def fill(backend: str, frames: dict, tmp_path: Path, request) -> str:
    """A store of ``backend`` holding ``frames``: its GeoPackage path or PostGIS URL."""
    if backend == "geopackage":
        path = tmp_path / "store.gpkg"
        GeoPackageStore.create(path, frames)
        return str(path)
    from geoapp.stores.postgis import PostGISStore

    url = request.getfixturevalue("postgis_cluster").database()
    PostGISStore.create(url, frames, SCHEMAS)
    return SqlReads(url) if backend == "postgis-sql" else url


@pytest.fixture(params=BACKENDS)
def where(request, tmp_path: Path) -> str:
    """The tiny data in each backend in turn: tests that take it run on both."""
    return fill(request.param, tiny_frames(), tmp_path, request)


@pytest.fixture
def app(where: str):
    """The app on the tiny data, once per backend: every route test runs on both."""
    return create_app(settings_for(where))


@pytest.fixture
def client(app):
    """An admin's client: every route, every row (what each role sees: test_access.py)."""
    return signed_in(app)


@pytest.fixture(scope="session")
def demo_frames():
    from geoapp.demo.generate import build_demo

    return build_demo(PROJECT_ROOT / "data" / "boundaries.geojson")


@pytest.fixture(scope="session")
def demo_gpkg(demo_frames, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.gpkg"
    GeoPackageStore.create(path, demo_frames)
    return path
