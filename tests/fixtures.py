"""Small real data for tests: two counties, two parks, a few parcels and five projects.

Known answers, so tests can assert exact counts and sums:
- county 610327 (a square around 陇县's seat) holds park P1, three parcels and four projects;
- county 620723 (a square near 临泽) holds park P2, one parcel and one project;
- the projects' total investment in 610327 is 1,000 + 2,000 + 3,000 + 4,000 = 10,000 万元;
- one project is named ``XSS_NAME`` to prove that popups show text, not HTML.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import geopandas as gpd
from shapely.geometry import Point, box

from geoapp import stores
from geoapp.config import PROJECT_ROOT
from geoapp.geo import area_mu
from geoapp.layers import load_layers
from geoapp.schemas import record_schemas
from geoapp.stores import Store
from tests.accounts import provision

SCHEMAS = record_schemas(load_layers(PROJECT_ROOT / "layers"))

XSS_NAME = "<img src=x onerror=alert(1)>"
LONG = "610327"
LINZE = "620723"


def _frame(rows: list[dict]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=4326)


def tiny_frames() -> dict[str, gpd.GeoDataFrame]:
    boundaries = _frame(
        [
            {
                "adcode": LONG,
                "name": "陇县",
                "level": "county",
                "parent_adcode": "610300",
                "geometry": box(106.7, 34.8, 107.0, 35.0),
            },
            {
                "adcode": LINZE,
                "name": "临泽县",
                "level": "county",
                "parent_adcode": "620700",
                "geometry": box(100.0, 39.0, 100.3, 39.3),
            },
        ]
    )
    parks = _frame(
        [
            {
                "park_id": "P1",
                "name": "苏陕工业园",
                "county_code": LONG,
                "industries": "装备制造",
                "contact": "管委会",
                "utilities": "七通一平",
                "geometry": box(106.80, 34.85, 106.84, 34.88),
            },
            {
                "park_id": "P2",
                "name": "扎尔墩滩工业集中区",
                "county_code": LINZE,
                "industries": "储能",
                "contact": "管委会",
                "utilities": "七通一平",
                "geometry": box(100.1, 39.1, 100.15, 39.14),
            },
        ]
    )
    parks["area_mu"] = area_mu(parks)
    parcels = _frame(
        [
            parcel_row("P1-001", "P1", LONG, "occupied", box(106.80, 34.85, 106.81, 34.86)),
            parcel_row("P1-002", "P1", LONG, "available", box(106.81, 34.85, 106.82, 34.86)),
            parcel_row("P1-003", "P1", LONG, "standard_land", box(106.82, 34.85, 106.83, 34.86)),
            parcel_row("P2-001", "P2", LINZE, "available", box(100.1, 39.1, 100.11, 39.11)),
        ]
    )
    parcels["area_mu"] = area_mu(parcels)
    standard = parcels[parcels["land_state"] == "standard_land"].drop(columns=["land_state"])
    standard = standard.assign(
        name="1号标准地",
        stage="listed",
        invest_intensity=200.0,
        tax_per_mu=12.0,
        output_per_mu=300.0,
        floor_area_ratio=1.2,
        coverage_pct=40.0,
        green_max_pct=15.0,
        energy_value=2.0,
    )
    projects = _frame(
        [
            _project(
                "A1",
                "陇县乳制品项目",
                LONG,
                "P1",
                "construction",
                "industry",
                "province",
                1000,
                Point(106.805, 34.855),
            ),
            _project(
                "A2",
                XSS_NAME,
                LONG,
                None,
                "preparatory",
                "infrastructure",
                "county",
                2000,
                Point(106.9, 34.9),
            ),
            _project(
                "A3",
                "陇县医院项目",
                LONG,
                None,
                "completed",
                "social",
                "city",
                3000,
                Point(106.75, 34.95),
            ),
            _project(
                "A4",
                "陇县风电项目",
                LONG,
                None,
                "construction",
                "energy",
                "county",
                4000,
                Point(106.95, 34.82),
            ),
            _project(
                "B1",
                "临泽储能电站",
                LINZE,
                "P2",
                "construction",
                "energy",
                "province",
                5000,
                Point(100.105, 39.105),
            ),
        ]
    )
    return {
        "boundaries": boundaries,
        "parks": parks,
        "parcels": parcels,
        "standard_land": gpd.GeoDataFrame(standard, crs=4326),
        "projects": projects,
    }


def parcel_row(pid: str, park: str, county: str, state: str, geometry) -> dict:
    """A parcel of industrial land at 20 万元/亩, as the fixtures write them."""
    return {
        "parcel_id": pid,
        "park_id": park,
        "county_code": county,
        "land_state": state,
        "land_use": "工业用地",
        "price_wan_per_mu": 20.0,
        "geometry": geometry,
    }


def _project(
    pid: str,
    name: str,
    county: str,
    park: str | None,
    status: str,
    category: str,
    level: str,
    total: float,
    geometry: Point,
) -> dict:
    started = status != "preparatory"
    return {
        "project_id": pid,
        "name": name,
        "owner": "某某有限公司",
        "county_code": county,
        "park_id": park,
        "status": status,
        "category": category,
        "level": level,
        "nature": "new",
        "warning": "green" if started else "red",
        "warning_reason": "" if started else "计划3月开工，逾期4个月未开工",
        "total_investment": float(total),
        "annual_plan": total / 2,
        "completed": total / 4,
        "planned_start": date(2026, 3, 1),
        "actual_start": date(2026, 3, 15) if started else None,
        "leader": "李卫东" if pid == "A1" else "王建国",
        "unit": "工信局" if pid == "A1" else "发改局",
        "planned_end": date(2028, 6, 30),
        "location": "陇县城关镇" if county == LONG else "临泽县",
        "placement": "exact",
        "geometry": geometry,
    }


class SqlReads(str):
    """A PostGIS URL whose store answers reads in SQL (``GEOAPP_DATABASE_READS=sql``)."""


def open_store(where: Path | str) -> Store:
    """The store as the app opens it (a GeoPackage path or a PostGIS URL), with the declared
    schemas, so it can be written."""
    return stores.open_store(where, SCHEMAS, reads=_reads(where))


def _reads(where: Path | str) -> str:
    return "sql" if isinstance(where, SqlReads) else "memory"


def table_rows(path: Path) -> dict[str, list[tuple]]:
    """Every row of every table in the file (spatial index and history included), to
    compare a file before and after something that must not have changed it."""
    with contextlib.closing(sqlite3.connect(path)) as conn:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
                " AND sql NOT LIKE 'CREATE VIRTUAL%'"
            )
        ]
        return {n: conn.execute(f'SELECT * FROM "{n}" ORDER BY rowid').fetchall() for n in names}


def writer_is_inside_its_transaction(where: Path | str) -> bool:
    """True while another connection holds the write lock (it is between BEGIN and COMMIT)."""
    if str(where).startswith("postgresql://"):
        import psycopg

        from geoapp.stores.postgis import WRITE_LOCK

        with psycopg.connect(str(where), autocommit=True) as conn:
            held = conn.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = %s "
                "AND granted",
                (WRITE_LOCK,),
            ).fetchone()[0]
            return held > 0
    with contextlib.closing(sqlite3.connect(where, timeout=0, isolation_level=None)) as conn:
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:
            return True
        conn.execute("ROLLBACK")
        return False


def settings_for(where: Path | str) -> dict[str, str]:
    """The setting that points the app (or `geoapp`) at this store."""
    if str(where).startswith("postgresql://"):
        return {"GEOAPP_DATABASE_URL": str(where), "GEOAPP_DATABASE_READS": _reads(where)}
    return {"GEOAPP_DATA": str(where)}


def snapshot(store: Store) -> tuple:
    """Everything a user could see of the data: every table, the history, the version."""
    tables = {t: _records(store.read(t).to_wkt()) for t in store.tables()}
    return store.version(), tables, store.history()


def _records(frame) -> list[dict]:
    """Rows with every missing value as None: NaN is not equal to itself, a blank is."""
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


# The app as `make run` serves it: gunicorn, 2 workers × 4 threads, preloaded.
GUNICORN = [  # as the Makefile's `run` starts it
    *("--workers", "2", "--threads", "4", "--worker-class", "gthread", "--preload"),
    *("--timeout", "60", "--graceful-timeout", "20", "--limit-request-line", "8190", "--bind"),
]


def free_port() -> int:
    """A loopback port free right now. Another process (a second test worker) may take it
    before the caller binds it: a server started on it must show that it is the one there."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def gunicorn_serving(where: Path | str, **settings: str) -> Iterator[str]:
    """gunicorn as `make run` starts it, serving this store (with these extra settings); its
    base URL. The store gets the test admin (``tests.accounts``): send
    ``bearer(token_of("admin"))``.

    Its port is bound here and handed over (``--bind fd://N``), not probed and then asked
    for: with tests running in parallel another server could take a probed port in between,
    and the readiness check below would then be answered by that server."""
    provision(open_store(where))
    env = dict(os.environ, GEOAPP_WARM_UP="1", **settings_for(where)) | settings
    env.pop("GEOAPP_UPLOADS", None)  # the default folder must be shared by the workers
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    command = [gunicorn, *GUNICORN, f"fd://{listener.fileno()}"]
    with listener:
        server = subprocess.Popen(
            [*command, "geoapp:create_app()"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            pass_fds=[listener.fileno()],
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/login", timeout=2)
                break
            except OSError:
                if server.poll() is not None:
                    raise RuntimeError(f"gunicorn exited ({server.returncode})") from None
                if time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not answer within 60 s") from None
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


@contextlib.contextmanager
def serve(settings: dict[str, str]) -> Iterator[str]:
    """The app with these settings over HTTP on loopback (a werkzeug thread): its root URL.
    The store gets the test admin (``tests.accounts``): send ``bearer(token_of("admin"))``."""
    from werkzeug.serving import make_server

    from geoapp import create_app

    app = create_app(settings)
    provision(app.extensions["geoapp"].store)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()
