"""What only the PostGIS backend has: start-up checks that name what is wrong, connections the
server drops (reads retried once, writes refused whole), and a schema newer than the code."""

from __future__ import annotations

import psycopg
import pytest
from shapely.geometry import Point

from geoapp import create_app
from geoapp.errors import StoreError, StoreUnavailable
from geoapp.stores import Change, ChangeSet
from geoapp.stores.pg_schema import MIGRATIONS
from tests.accounts import signed_in
from tests.conftest import fill
from tests.fixtures import open_store, snapshot, tiny_frames


@pytest.fixture
def url(postgis_cluster, tmp_path, request) -> str:
    return fill("postgis", tiny_frames(), tmp_path, request)


def _drop_connections(url: str) -> None:
    """What a restart or a network cut does to every open connection of this database."""
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


def test_an_unreachable_server_is_named_at_start_up(postgis_cluster):
    bad = postgis_cluster.url("nowhere").replace(str(postgis_cluster.port), "1")
    with pytest.raises(StoreError, match=r"cannot connect to PostGIS at geoapp@127\.0\.0\.1:1/"):
        open_store(bad)


def test_a_missing_database_and_a_missing_postgis_are_named(postgis_cluster):
    with pytest.raises(StoreError, match="does not exist"):
        open_store(postgis_cluster.url("no_such_db"))
    plain = postgis_cluster.database(postgis=False)
    with pytest.raises(StoreError, match=r"PostGIS extension is not installed.*CREATE EXTENSION"):
        create_app({"GEOAPP_DATABASE_URL": plain})


def test_a_schema_newer_than_the_code_is_refused(url):
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("INSERT INTO geoapp_migrations (number) VALUES (%s)", (len(MIGRATIONS) + 1,))
    with pytest.raises(StoreError, match="newer than this geoapp"):
        open_store(url)


def test_reads_survive_dropped_connections_and_writes_are_refused_whole(url):
    store = open_store(url)
    client = signed_in(create_app({"GEOAPP_DATABASE_URL": url}))
    assert client.get("/api/layers/projects/features").status_code == 200
    assert len(store.read("projects")) == 5
    _drop_connections(url)
    assert client.get("/api/layers/projects/features?limit=2").status_code == 200  # retried
    before = snapshot(store)
    _drop_connections(url)
    added = Change("insert", "projects", ("N1",), {"geometry": Point(106.8, 34.9)})
    with pytest.raises(StoreUnavailable):
        store.apply(ChangeSet("tester", [added]))
    assert snapshot(store) == before  # nothing of it was kept
    store.apply(ChangeSet("tester", [added]))  # the next write opens a new connection
    assert len(store.read("projects")) == 6


def test_a_lost_database_is_an_error_page_not_a_crash(url, postgis_cluster):
    client = signed_in(create_app({"GEOAPP_DATABASE_URL": url}))
    assert client.get("/").status_code == 200
    name = url.rsplit("/", 1)[1]
    _drop_connections(url)
    with psycopg.connect(postgis_cluster.url("postgres"), autocommit=True) as admin:
        admin.execute(f"ALTER DATABASE {name} RENAME TO {name}_gone")
    answer = client.get("/api/layers/projects/features?county=610327")
    assert answer.status_code == 503 and answer.json["code"] == "ServiceUnavailable"


def test_with_a_lagging_replica_writes_and_restores_see_the_primary(url, postgis_cluster):
    """A replica that has not replayed the newest writes yet (here: a copy taken before
    them) serves reads; the version a write reports and the history a restore uses come
    from the primary."""
    name = url.rsplit("/", 1)[1]
    _drop_connections(url)
    with psycopg.connect(postgis_cluster.url("postgres"), autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}_replica TEMPLATE {name}")
    store = open_store_with_replica(url, f"{url}_replica")
    first = store.apply(
        ChangeSet("王科长", [Change("update", "projects", ("A1",), {"completed": 1.0})])
    )
    assert first.version.endswith("..1")
    edited = store.apply(
        ChangeSet("王科长", [Change("update", "projects", ("A1",), {"completed": 2.0})])
    )
    assert edited.version.endswith("..2")
    store.restore("projects", ("A1",), 1, "admin")  # version 1 exists on the primary only
    primary = open_store(url).read("projects").set_index("project_id")
    assert primary.at["A1", "completed"] == 1.0


def open_store_with_replica(url: str, replica: str):
    from geoapp.stores import open_store as open_any
    from tests.fixtures import SCHEMAS

    return open_any(url, SCHEMAS, replica)
