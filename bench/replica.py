"""geoapp on PostGIS with a streaming replica: read throughput with one and two app servers,
and the time until a write to the primary is visible through each app server.

    .venv/bin/python bench/replica.py
    BENCH_SMALL=1 .venv/bin/python bench/replica.py

Everything runs on loopback from Debian's packages (PostgreSQL 15 + PostGIS 3 server binaries,
started as the ``postgres`` user with ``runuser`` when run as root, as the tests do):

1. a **primary** cluster (``initdb`` in a temporary folder under ``bench/out/``, trust
   authentication on 127.0.0.1 — replication included —, ``wal_level=replica``,
   ``max_wal_senders``; durable defaults: fsync and synchronous_commit on), a database with
   the PostGIS extension, filled with ``geoapp db copy`` from the province GeoPackage the other
   scripts use (BENCH_SMALL: the small one), then ``VACUUM (ANALYZE)``;
2. a **hot standby** made by ``pg_basebackup -R -X stream`` (with a replication slot) from the
   primary, started on another port; the script waits until ``pg_stat_replication`` on the
   primary says ``streaming`` and the standby holds as many parcels as the primary;
3. geoapp under gunicorn as ``make run`` starts it (``--workers 2 --threads 4 --worker-class
   gthread --preload``, ``GEOAPP_WARM_UP=1``) with ``GEOAPP_DATABASE_URL`` = the primary and
   ``GEOAPP_DATABASE_READ_URL`` = the standby: two instances, A and B, on two ports (each
   started and timed on its own: the warm-up reads every table from the standby);
4. read throughput with **one** app server (every connection to A; B idle, which costs no CPU)
   and with **two** (half of the connections to A, half to B): ``wrk`` runs of
   BENCH_REPLICA_SECONDS, BENCH_REPLICA_ROUNDS of them per kind of request and number of
   connections in BENCH_REPLICA_CONNECTIONS (2 and 8: ``-t2 -c2``, ``-t2 -c8``; with two
   servers wrk's first thread and its connections go to A, the second thread and its
   connections to B), reported as median (min–max) over the rounds. One and two servers
   alternate (1 2, 2 1, …) so that both meet the same background load on this shared
   machine. Requests as panning makes them:
   ``/api/layers/parcels/features?bbox=…&limit=100`` with a new bbox of 1 % of the extent
   (10 % × 10 %) around a random parcel, one in three with a ``land_state`` filter; and
   parcel vector tiles ``/tiles/parcels/{z}/{x}/{y}.pbf`` at z12–z15 over random parcels.
   BENCH_REPLICA_URLS are generated per kind and cut into one slice per run (each wrk thread
   cycles through its own half of its run's slice), so no run is flattered by what an
   earlier one cached; an untimed run over both servers comes first, so both have touched
   their data. p50/p95/p99 come from wrk's latency histogram (``done()`` in the Lua script).
   Without wrk, a Python client (one thread per connection, a new connection per request)
   does the same;
5. the lag until a write is visible: BENCH_REPLICA_WRITES times, a single-row update of a
   different parcel's ``land_state`` through geoapp's store (``open_store(primary).apply``);
   then, in parallel, each app server is polled (``GET /api/layers/parcels/features/<fid>``,
   a new connection each, no pause) until the new value shows — the first response that
   shows it, and the first of BENCH_REPLICA_STREAK consecutive ones (both workers patched)
   — and the standby is polled until ``pg_last_wal_replay_lsn()`` passes the primary's WAL
   position after the commit. First with A polled, then A and B. Times are ms from the
   commit (``apply`` returned); the ``replay_lag`` that ``pg_stat_replication`` reports for
   the write is shown beside them;
6. everything is stopped and the clusters removed, also on an error or SIGTERM (their logs
   are kept as ``bench/out/replica-{primary,standby}.log``).

On a 2-core machine the primary, the standby, the app servers and the load generator share the
same 2 cores, so a second app server cannot show scaling here: it only shows what it costs.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from urllib.parse import urlencode

import numpy as np
import psycopg
from common import (
    APP_ENV,
    APP_ROOT,
    GEOAPP_GUNICORN,
    OUT,
    PROVINCE_PARCELS,
    PROVINCE_PROJECTS,
    WORKERS,
    Server,
    data_extent,
    dataset,
    env_int,
    env_ints,
    feature_centers,
    get,
    gunicorn,
    header,
    load_note,
    loadavg,
    ms,
    random_bbox,
    ratio,
    table,
    tile_of,
    warm_workers,
    wrk_auth_line,
)
from memory import pss_kb

from geoapp.layers import load_layers
from geoapp.schemas import record_schemas
from geoapp.stores import Change, ChangeSet, open_store

SECONDS = env_int("BENCH_REPLICA_SECONDS", 10, 5)  # each wrk run
ROUNDS = env_int("BENCH_REPLICA_ROUNDS", 3, 2)  # alternating pairs of runs per case
URLS = env_int("BENCH_REPLICA_URLS", 60_000, 30_000)  # URLs per kind, cut into one slice a run
WRITES = env_int("BENCH_REPLICA_WRITES", 10, 5)  # writes timed until visible, per phase
STREAK = env_int("BENCH_REPLICA_STREAK", 6, 6)  # consecutive responses that must show a write
CONNECTIONS = env_ints("BENCH_REPLICA_CONNECTIONS", "2,8", "2,8")  # wrk -c, one run each
TILE_ZOOMS = (12, 13, 14, 15)
LAND_STATES = ("occupied", "available", "reserved", "standard_land", "factory")
USER = "geoapp"
DBNAME = "geoapp"
VISIBLE_TIMEOUT_S = 60


# --- PostgreSQL -------------------------------------------------------------------------------


def pg_bin() -> Path:
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3])
    )
    if not found:
        raise RuntimeError("PostgreSQL's server is not installed (apt-get install postgresql)")
    return Path(found[-1]).parent


class Clusters:
    """The primary and the standby: folders under one temporary folder, loopback ports."""

    def __init__(self) -> None:
        OUT.mkdir(parents=True, exist_ok=True)
        self.bin = pg_bin()
        self.folder = Path(tempfile.mkdtemp(prefix="replica-pg-", dir=OUT))
        self.as_postgres = os.geteuid() == 0  # initdb and postgres refuse to run as root
        if self.as_postgres:
            shutil.chown(self.folder, "postgres")
        self.ports = {"primary": free_port(), "standby": free_port()}
        self.running: list[str] = []

    def run(self, program: str, *args: str, timeout: float = 600) -> str:
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_postgres else []
        done = subprocess.run(
            [*prefix, str(self.bin / program), *args],
            capture_output=True,
            text=True,
            cwd=self.folder,
            timeout=timeout,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{program} failed ({done.returncode}): {done.stderr.strip()}")
        return done.stdout

    def url(self, name: str, dbname: str = DBNAME) -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.ports[name]}/{dbname}"

    def data(self, name: str) -> Path:
        return self.folder / name

    def start(self, name: str) -> None:
        options = (
            f"-c port={self.ports[name]} -c listen_addresses=127.0.0.1 "
            f"-c unix_socket_directories={self.folder} "
            "-c wal_level=replica -c max_wal_senders=5 -c max_replication_slots=5 "
            "-c hot_standby=on -c max_connections=200 -c max_wal_size=4GB "
            "-c shared_buffers=256MB"
        )
        self.run(
            "pg_ctl",
            "-D",
            str(self.data(name)),
            "-o",
            options,
            "-l",
            str(self.folder / f"{name}.log"),
            "-w",
            "-t",
            "120",
            "start",
        )
        self.running.append(name)

    def init_primary(self) -> None:
        self.run("initdb", "-D", str(self.data("primary")), "-A", "trust", "-U", USER, "-E", "UTF8")
        hba = (self.data("primary") / "pg_hba.conf").read_text()
        if not re.search(r"^host\s+replication\s+all\s+127\.0\.0\.1/32\s+trust", hba, re.M):
            raise RuntimeError("initdb's pg_hba.conf has no trust line for replication")
        self.start("primary")
        with psycopg.connect(self.url("primary", "postgres"), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {DBNAME}")
        with psycopg.connect(self.url("primary"), autocommit=True) as conn:
            conn.execute("CREATE EXTENSION postgis")

    def base_backup(self) -> None:
        self.run(
            "pg_basebackup",
            "-h",
            "127.0.0.1",
            "-p",
            str(self.ports["primary"]),
            "-U",
            USER,
            "-D",
            str(self.data("standby")),
            "-R",  # standby.signal and primary_conninfo
            "-X",
            "stream",
            "-C",
            "-S",
            "geoapp_standby",  # a slot: the primary keeps the WAL the standby has not had
            "-c",
            "fast",
        )

    def stop(self) -> None:
        """Stop both servers (standby first), keep their logs, remove the folder."""
        for name in reversed(self.running):
            try:
                self.run("pg_ctl", "-D", str(self.data(name)), "-m", "fast", "-w", "stop")
            except Exception as error:  # stop the other one all the same
                print(f"   could not stop the {name}: {error}")
                with contextlib.suppress(Exception):
                    self.run("pg_ctl", "-D", str(self.data(name)), "-m", "immediate", "stop")
        self.running.clear()
        for name in ("primary", "standby"):
            log = self.folder / f"{name}.log"
            if log.exists():
                shutil.copyfile(log, OUT / f"replica-{name}.log")
        shutil.rmtree(self.folder, ignore_errors=True)


def db_copy(data: Path, url: str) -> str:
    """``geoapp db copy`` of the GeoPackage into the database; its row counts, as text."""
    copied = subprocess.run(
        [sys.executable, "-c", "from geoapp.cli import main; main()", "db", "copy", str(data), url],
        capture_output=True,
        text=True,
        env=os.environ | APP_ENV,
        cwd=APP_ROOT,
    )
    if copied.returncode != 0:
        raise RuntimeError(f"geoapp db copy failed: {copied.stderr.strip()[-2000:]}")
    rows = re.findall(r"^ok\s+(\S+)\s+(\d+) rows", copied.stdout, re.M)
    return ", ".join(f"{t} {int(n):,}" for t, n in rows)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def one(url: str, sql: str, params: Sequence = ()):
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(sql, params).fetchone()


def wait_streaming(clusters: Clusters, timeout: float = 120) -> str:
    """Until the primary's pg_stat_replication shows the standby streaming; its state."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        found = one(
            clusters.url("primary"), "SELECT state, sync_state FROM pg_stat_replication LIMIT 1"
        )
        if found and found[0] == "streaming":
            return f"{found[0]} ({found[1]})"
        time.sleep(0.1)
    raise TimeoutError(f"the standby is not streaming after {timeout} s")


def wait_caught_up(clusters: Clusters, timeout: float = 300) -> None:
    """Until the standby has replayed everything the primary has written."""
    lsn = one(clusters.url("primary"), "SELECT pg_current_wal_lsn()")[0]
    deadline = time.perf_counter() + timeout
    with psycopg.connect(clusters.url("standby"), autocommit=True) as conn:
        while time.perf_counter() < deadline:
            if conn.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (lsn,)).fetchone()[0]:
                return
            time.sleep(0.05)
    raise TimeoutError("the standby did not catch up")


def lag_ms(clusters: Clusters) -> dict[str, float | None]:
    """write/flush/replay lag as pg_stat_replication reports them now, ms."""
    found = one(
        clusters.url("primary"),
        "SELECT extract(epoch FROM write_lag) * 1000, extract(epoch FROM flush_lag) * 1000, "
        "extract(epoch FROM replay_lag) * 1000 FROM pg_stat_replication LIMIT 1",
    )
    keys = ("write", "flush", "replay")
    values = found or (None, None, None)
    return {k: (None if v is None else float(v)) for k, v in zip(keys, values, strict=True)}


# --- app servers ------------------------------------------------------------------------------


@contextlib.contextmanager
def app_server(clusters: Clusters, name: str) -> Iterator[tuple[Server, float]]:
    """geoapp as `make run` starts it, on the primary with reads from the standby."""
    env = {
        "GEOAPP_DATABASE_URL": clusters.url("primary"),
        "GEOAPP_DATABASE_READ_URL": clusters.url("standby"),
        "GEOAPP_WARM_UP": "1",
    }
    with gunicorn(
        "geoapp:create_app()",
        env,
        workers=WORKERS,
        extra=GEOAPP_GUNICORN,
        log=f"replica-geoapp-{name}",
    ) as server:
        yield server, time.perf_counter() - server.started


def server_pss_mb(server: Server) -> float:
    return sum(pss_kb(pid) for pid in server.pids()) / 1024


# --- the reads --------------------------------------------------------------------------------


def read_urls(data: Path, seed: int, n: int) -> dict[str, list[str]]:
    """``n`` API and ``n`` tile URLs, as panning over the data makes them."""
    rng = np.random.default_rng(seed)
    centers, extent = feature_centers(data, "parcels"), data_extent(data, "parcels")
    api, tiles = [], []
    for _ in range(n):
        args = {"bbox": ",".join(str(v) for v in random_bbox(rng, centers, extent))}
        if rng.random() < 1 / 3:
            args["land_state"] = str(rng.choice(LAND_STATES))
        args["limit"] = 100
        api.append("/api/layers/parcels/features?" + urlencode(args))
        lon, lat = centers[rng.integers(len(centers))]
        z = int(rng.choice(TILE_ZOOMS))
        x, y = tile_of(np.array([lon]), np.array([lat]), z)
        tiles.append(f"/tiles/parcels/{z}/{int(x[0])}/{int(y[0])}.pbf")
    return {"API bbox page": api, "tiles z12–15": tiles}


WRK_LUA = """
local ports = {%(ports)s}
local file = "%(file)s"
local nthreads = %(threads)d
local count = 0
function setup(thread)
  count = count + 1
  thread:set("id", count)
  local port = ports[(count - 1) %% #ports + 1]
  thread.addr = wrk.lookup("127.0.0.1", tostring(port))[1]
end
function init(args)
  paths = {}
  for line in io.lines(file) do paths[#paths + 1] = line end
  i = (id - 1) * math.floor(#paths / nthreads)
end
function request()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
function done(summary, latency, requests)
  io.write(string.format("PCT %%d %%d %%d\\n", latency:percentile(50),
    latency:percentile(95), latency:percentile(99)))
  io.write(string.format("DONE %%d %%d %%d\\n", summary.requests, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""


def load_run(ports: list[int], urls: list[str], label: str, conns: int) -> dict:
    """Requests/s and latency of ``conns`` connections over ``ports`` for SECONDS."""
    before = loadavg()
    if shutil.which("wrk"):
        result = wrk_run(ports, urls, label, conns)
    else:
        result = python_run(ports, urls, conns)
    result["load"] = max(before, loadavg())
    return result


def wrk_run(ports: list[int], urls: list[str], label: str, conns: int) -> dict:
    threads = min(2, conns)
    slug = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
    paths = OUT / f"replica-{slug}.txt"
    paths.write_text("\n".join(urls) + "\n")
    script = OUT / f"replica-{slug}.lua"
    script.write_text(
        wrk_auth_line()
        + WRK_LUA % {"ports": ", ".join(map(str, ports)), "file": paths, "threads": threads}
    )
    out = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{conns}",
            f"-d{SECONDS}s",
            "--timeout",
            "30s",
            "-s",
            str(script),
            f"http://127.0.0.1:{ports[0]}",
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=SECONDS + 60,
    ).stdout
    p50, p95, p99 = (int(v) / 1000 for v in re.search(r"PCT (\d+) (\d+) (\d+)", out).groups())
    n, status_errors, socket_errors = (
        int(v) for v in re.search(r"DONE (\d+) (\d+) (\d+)", out).groups()
    )
    rate = float(re.search(r"Requests/sec:\s*([\d.]+)", out).group(1))
    return {
        "rate": rate,
        "p50": p50,
        "p95": p95,
        "p99": p99,
        "n": n,
        "errors": status_errors + socket_errors,
        "client": f"wrk -t{threads} -c{conns}",
    }


def python_run(ports: list[int], urls: list[str], conns: int) -> dict:
    """Without wrk: ``conns`` threads, thread k on ports[k % len(ports)], each cycling
    through its own part of the URLs, one new connection per request."""
    samples: list[list[float]] = [[] for _ in range(conns)]
    errors = [0] * conns
    stop = time.perf_counter() + SECONDS

    def worker(k: int) -> None:
        port, i = ports[k % len(ports)], k * (len(urls) // conns)
        while time.perf_counter() < stop:
            started = time.perf_counter()
            try:
                status, _ = get(port, urls[i % len(urls)], timeout=30)
            except OSError:
                status = 0
            samples[k].append((time.perf_counter() - started) * 1000)
            errors[k] += status != 200
            i += 1

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(conns)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    flat = [v for s in samples for v in s]
    return {
        "rate": len(flat) / elapsed,
        "p50": ms(flat, 50),
        "p95": ms(flat, 95),
        "p99": ms(flat, 99),
        "n": len(flat),
        "errors": sum(errors),
        "client": f"Python client, {conns} threads",
    }


def reads(servers: list[Server], urls: dict[str, list[str]]) -> dict[int, dict[tuple, list]]:
    """Load runs with one app server (``servers[0]``) and with two, per kind of request and
    number of connections, ROUNDS times each; one and two alternate (1 2, 2 1, …) so that
    both meet the same background load. Each run has a slice of the URLs of its own (none is
    flattered by what an earlier one cached); an untimed run over both servers comes first,
    so both have touched their data."""
    runs = 1 + 2 * len(CONNECTIONS) * ROUNDS
    found: dict[int, dict[tuple, list]] = {1: {}, 2: {}}
    for server in servers:  # every worker of every server answers each kind once first
        warm_workers(server.port, [u[-1] for u in urls.values()], rounds=2)
    for kind, kind_urls in urls.items():
        size = len(kind_urls) // runs
        parts = iter(kind_urls[i * size : (i + 1) * size] for i in range(runs))
        ports = [s.port for s in servers]
        load_run(ports, next(parts), f"warm-up {kind}", max(CONNECTIONS))
        for j, conns in enumerate(CONNECTIONS):
            for r in range(ROUNDS):
                for count in (1, 2) if (j + r) % 2 == 0 else (2, 1):
                    part = next(parts)
                    label = f"{count} app server{'s' * (count > 1)}, {kind}"
                    result = load_run(ports[:count], part, label, conns)
                    found[count].setdefault((kind, conns), []).append(result)
                    print(
                        f"   {label}, {result['client']}: {result['rate']:,.1f} req/s, p50 "
                        f"{result['p50']:.1f} ms, p95 {result['p95']:.1f} ms "
                        f"({result['n']:,} requests, {result['errors']} errors, "
                        f"load {result['load']:.2f})"
                    )
                    if result["errors"]:
                        raise RuntimeError(f"{label}: {result['errors']} failed requests")
                    if result["n"] > len(part):
                        print(f"   (more requests than the {len(part):,} URLs: some repeated)")
    return found


# --- the writes -------------------------------------------------------------------------------


def feature_state(port: int, fid: int) -> str | None:
    status, body = get(port, f"/api/layers/parcels/features/{fid}", timeout=30)
    if status != 200:
        raise RuntimeError(f"GET parcel {fid}: HTTP {status}: {body[:200]!r}")
    return json.loads(body)["properties"].get("land_state")


def poll_server(port: int, fid: int, want: str, since: float, out: dict) -> None:
    """ms from the commit (``since``: when ``apply`` returned) until the first
    response showing ``want``, and until the first of STREAK consecutive ones; how long that
    first response took, when it was asked, and how long the stale responses before it took."""
    streak = polls = stale_after = 0
    first = streak_start = first_took = first_asked = None
    stale: list[float] = []
    deadline = time.perf_counter() + VISIBLE_TIMEOUT_S
    while streak < STREAK:
        if time.perf_counter() > deadline:
            out["error"] = f"not visible on :{port} within {VISIBLE_TIMEOUT_S} s"
            return
        asked = time.perf_counter()
        ok = feature_state(port, fid) == want
        now = time.perf_counter()
        polls += 1
        if ok:
            shown = (now - since) * 1000
            if first is None:  # the response that patched a worker's cache, and its start
                first, first_took = shown, (now - asked) * 1000
                first_asked = (asked - since) * 1000
            streak_start = shown if streak == 0 else streak_start
            streak += 1
        else:
            stale_after += first is not None
            streak = 0
            stale.append((now - asked) * 1000)
    out.update(
        first=first,
        all=streak_start,
        polls=polls,
        stale_after=stale_after,
        first_took=first_took,
        first_asked=first_asked,
        stale=stale,
    )


def poll_replay(conn: psycopg.Connection, lsn: str, since: float, out: dict) -> None:
    """ms from the commit until the standby has replayed the primary's WAL up to ``lsn``."""
    deadline = time.perf_counter() + VISIBLE_TIMEOUT_S
    while time.perf_counter() < deadline:
        if conn.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (lsn,)).fetchone()[0]:
            out["replayed"] = (time.perf_counter() - since) * 1000
            return
        time.sleep(0.0002)
    out["error"] = "the standby did not replay the write"


def visibility(clusters: Clusters, servers: list[Server], store, rng) -> list[dict]:
    """WRITES single-row updates of random parcels, each timed until every server shows it."""
    found = []
    with (
        psycopg.connect(clusters.url("primary"), autocommit=True) as primary,
        psycopg.connect(clusters.url("standby"), autocommit=True) as standby,
    ):
        top = primary.execute("SELECT max(fid) FROM parcels").fetchone()[0]
        for _ in range(WRITES):
            row = None
            while row is None:
                row = primary.execute(
                    "SELECT fid, parcel_id, land_state FROM parcels WHERE fid = %s",
                    (int(rng.integers(1, top + 1)),),
                ).fetchone()
            fid, key, old = row
            new = str(rng.choice([s for s in LAND_STATES if s != old]))
            for server in servers:
                warm_workers(server.port, [f"/api/layers/parcels/features/{fid}"], rounds=2)
                if feature_state(server.port, fid) != old:
                    raise RuntimeError(f"parcel {fid} does not show its old state {old!r}")
            outs: list[dict] = [{} for _ in servers]
            replay: dict = {}
            change = Change("update", "parcels", (key,), {"land_state": new})
            started = time.perf_counter()
            applied = store.apply(ChangeSet("bench", [change]))
            since = time.perf_counter()
            threads = [
                threading.Thread(target=poll_server, args=(s.port, fid, new, since, o))
                for s, o in zip(servers, outs, strict=True)
            ]
            for t in threads:
                t.start()
            lsn = primary.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
            poll_replay(standby, str(lsn), since, replay)
            for t in threads:
                t.join()
            if applied.updated != 1:
                raise RuntimeError(f"parcel {key}: {applied.updated} rows updated")
            for out in [*outs, replay]:
                if "error" in out:
                    raise RuntimeError(out["error"])
            time.sleep(0.2)  # let the walsender record the standby's reply for this write
            found.append(
                {
                    "apply": (since - started) * 1000,
                    "replayed": replay["replayed"],
                    "lag": lag_ms(clusters),
                    "servers": outs,
                }
            )
    return found


# --- the run ----------------------------------------------------------------------------------


def f1(value: float | None) -> str:
    return "—" if value is None else f"{value:,.1f}"


def spread(values: list[float]) -> str:
    """median (min–max) of the runs' figures."""
    return f"{statistics.median(values):,.1f} ({min(values):,.1f}–{max(values):,.1f})"


def median(results: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in results)


def stat(values: list[float | None]) -> str:
    """p50 / max of ms values."""
    known = [v for v in values if v is not None]
    if not known:
        return "—"
    return f"{ms(known, 50):,.1f} / {max(known):,.1f}"


def main() -> None:
    before = header(
        f"PostGIS primary + hot standby: {PROVINCE_PARCELS:,} parcels, "
        f"{PROVINCE_PROJECTS:,} projects"
    )

    def stop_on_term(signum, frame):  # finally blocks run on SIGTERM too
        raise SystemExit(f"signal {signum}")

    signal.signal(signal.SIGTERM, stop_on_term)
    data = dataset(PROVINCE_PARCELS, PROVINCE_PROJECTS)
    schemas = record_schemas(load_layers(APP_ROOT / "layers"))
    steps: list[list[str]] = []
    clusters = Clusters()
    print(f"   clusters in {clusters.folder} (ports {clusters.ports}); {clusters.bin}")
    run_started = time.perf_counter()

    @contextlib.contextmanager
    def step(what: str, note: str = "") -> Iterator[list[str]]:
        started = time.perf_counter()
        row = [what, "", note]
        yield row
        elapsed = time.perf_counter() - started
        row[1] = f"{elapsed:,.1f} s"
        steps.append(row)
        print(f"   {what}: {elapsed:,.1f} s {row[2]}")

    try:
        with step("initdb + start primary, CREATE EXTENSION postgis"):
            clusters.init_primary()
        with step("geoapp db copy") as row:
            row[2] = db_copy(data, clusters.url("primary"))
        with step("VACUUM (ANALYZE) on the primary") as row:
            with psycopg.connect(clusters.url("primary"), autocommit=True) as conn:
                conn.execute("VACUUM (ANALYZE)")
                size = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
            row[2] = f"database {size / 1024**2:,.0f} MB"
        with step("pg_basebackup -R + start standby until streaming") as row:
            clusters.base_backup()
            clusters.start("standby")
            row[2] = wait_streaming(clusters)
            wait_caught_up(clusters)
            counts = [
                one(clusters.url(name), "SELECT count(*) FROM parcels")[0]
                for name in ("primary", "standby")
            ]
            if counts[0] != counts[1]:
                raise RuntimeError(f"parcels on primary / standby: {counts}")
            row[2] += f"; standby has {counts[1]:,} parcels"

        store = open_store(clusters.url("primary"), schemas)
        rng = np.random.default_rng(23)
        with contextlib.ExitStack() as stack:
            servers: list[Server] = []
            for name in "AB":
                with step(f"app server {name} start (warm-up reads the standby)") as row:
                    server, start_s = stack.enter_context(app_server(clusters, name.lower()))
                    row[2] = f"served after {start_s:,.1f} s"
                servers.append(server)
            urls = read_urls(data, 1, URLS)
            with step("reads: one app server and two, alternating"):
                found = reads(servers, urls)
            shown = {}
            for count in (1, 2):
                label = "A" if count == 1 else "A and B"
                with step(f"{WRITES} writes until visible, polled on {label}"):
                    shown[count] = visibility(clusters, servers[:count], store, rng)
            pss = [server_pss_mb(s) for s in servers]
        phases = {count: {"reads": found[count], "shown": shown[count]} for count in (1, 2)}
        with step("stop app servers and clusters"):
            clusters.stop()
    finally:
        if clusters.running or clusters.folder.exists():
            clusters.stop()
    elapsed = time.perf_counter() - run_started

    print(f"\nsteps ({elapsed / 60:,.1f} min in all)")
    print(table(["step", "time", "what"], steps))

    client = next(iter(phases[1]["reads"].values()))[0]["client"].split(" -")[0]
    print(
        f"\nreads: {client}, {ROUNDS} runs of {SECONDS} s per row, median (min–max) over the "
        "runs; with two app servers half of the "
        "connections go to each. API: /api/layers/parcels/features?bbox=(1 % of the extent)"
        "&limit=100, 1 in 3 with land_state; tiles: /tiles/parcels/z/x/y.pbf at z12–15 over "
        "random parcels"
    )
    out = []
    for count, phase in phases.items():
        for (kind, conns), rs in phase["reads"].items():
            out.append(
                [
                    count,
                    kind,
                    conns,
                    spread([r["rate"] for r in rs]),
                    spread([r["p50"] for r in rs]),
                    spread([r["p95"] for r in rs]),
                    spread([r["p99"] for r in rs]),
                    f"{sum(r['n'] for r in rs):,}",
                    sum(r["errors"] for r in rs),
                    f"{min(r['load'] for r in rs):.1f}–{max(r['load'] for r in rs):.1f}",
                ]
            )
    headers = ["app servers", "requests", "connections", "req/s", "p50 ms", "p95 ms", "p99 ms"]
    print(table([*headers, "n", "errors", "load"], out))
    out = []
    for kind, conns in phases[1]["reads"]:
        one_, two = phases[1]["reads"][kind, conns], phases[2]["reads"][kind, conns]
        out.append(
            [kind, conns] + [ratio(median(two, k), median(one_, k)) for k in ("rate", "p50", "p95")]
        )
    print("\ntwo app servers / one (medians over the rounds)")
    print(table(["requests", "connections", "req/s", "p50", "p95"], out))

    print(
        f"\nwrites until visible: ms from the commit (apply returned), p50 / max over "
        f"{WRITES} single-row parcel updates; 'all workers' = the first of {STREAK} "
        "consecutive responses showing it; the first response showing it: when it was asked "
        "and how long it took (it patched the worker's cache); how long the stale polls took"
    )
    out = []
    for count, phase in phases.items():
        shown = phase["shown"]
        for k in range(count):
            out.append(
                [
                    count,
                    "AB"[k],
                    stat([s["apply"] for s in shown]),
                    stat([s["replayed"] for s in shown]),
                    stat([s["lag"]["replay"] for s in shown]),
                    stat([s["servers"][k]["first"] for s in shown]),
                    stat([s["servers"][k]["all"] for s in shown]),
                    stat([s["servers"][k]["first_asked"] for s in shown]),
                    stat([s["servers"][k]["first_took"] for s in shown]),
                    stat([v for s in shown for v in s["servers"][k]["stale"]]),
                    sum(s["servers"][k]["stale_after"] for s in shown),
                ]
            )
    print(
        table(
            [
                "app servers",
                "server",
                "apply",
                "standby replayed (LSN)",
                "pg_stat_replication replay_lag",
                "first response",
                "all workers",
                "1st showing: asked at",
                "1st showing: took",
                "stale polls took",
                "stale after first",
            ],
            out,
        )
    )
    pss = " + ".join(f"{v:,.0f}" for v in pss) + " MB"
    print(f"\napp server memory at the end (PSS, master + {WORKERS} workers, A + B): {pss}")
    print(
        "\n   NOTE: the primary, the standby, both app servers and the load generator share "
        f"these {os.cpu_count()} cores: the two-server figures cannot show scaling."
    )
    print(f"   {load_note(before)}")


if __name__ == "__main__":
    main()
