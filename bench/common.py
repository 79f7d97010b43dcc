"""Shared helpers of the benchmarks: sizes, data, a gunicorn server, timing, the machine.

Every script prints figures measured in its own run. Generated data and pages go under
``bench/out/`` (git-ignored). Sizes come from environment variables so that
``BENCH_SMALL=1`` gives a quick run on small data; the defaults are the province scale.
"""

from __future__ import annotations

import contextlib
import http.client
import math
import os
import platform
import secrets
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
# Debian's chromium, started as the browser tests start it (no background connections).
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
BIN = Path(sys.executable).parent
SMALL = os.environ.get("BENCH_SMALL", "") not in ("", "0")
REV = os.environ.get("BENCH_REV", "")  # e.g. HEAD: measure that commit, not the work tree


def app_root() -> Path:
    """Where the measured geoapp lives: the work tree, or with BENCH_REV an export of that
    commit under bench/out/ (so half-finished edits in the work tree cannot break a run)."""
    if not REV:
        return ROOT
    sha = subprocess.run(
        ["git", "rev-parse", REV], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.strip()
    dest = OUT / f"app-{sha[:12]}"
    if not dest.exists():
        tmp = OUT / f".app-{sha[:12]}.tmp"
        subprocess.run(["rm", "-rf", str(tmp)], check=True)
        tmp.mkdir(parents=True)
        archive = subprocess.run(["git", "archive", sha], cwd=ROOT, check=True, capture_output=True)
        subprocess.run(["tar", "-x", "-C", str(tmp)], input=archive.stdout, check=True)
        (tmp / "geoapp/static/vendor").symlink_to(ROOT / "geoapp/static/vendor")
        subprocess.run(
            [BIN / "pybabel", "-q", "compile", "-d", tmp / "geoapp/translations"], check=True
        )
        tmp.rename(dest)
    return dest


APP_ROOT = app_root()
sys.path.insert(0, str(APP_ROOT))  # before anything imports geoapp
# The app refuses to start without a secret key; one per run is enough for a benchmark.
APP_ENV = {"PYTHONPATH": str(APP_ROOT), "GEOAPP_SECRET_KEY": secrets.token_hex(32)}
# Every request of a benchmark is an admin's, by an API token made with `geoapp users`.
HEADERS: dict[str, str] = {}


def sign_in(env: dict[str, str]) -> dict[str, str]:
    """A new API token of the account ``bench`` (made on first use) of the store ``env``
    names, as request headers; also kept in ``HEADERS`` for ``get``, wrk and the browsers."""
    command = [str(BIN / "geoapp"), "users"]
    run_env = os.environ | APP_ENV | env
    password = secrets.token_hex(12)
    add = [*command, "add", "bench", "--role", "admin", "--password", password]
    subprocess.run(add, env=run_env, cwd=APP_ROOT, capture_output=True)  # fails if it exists
    made = subprocess.run(
        [*command, "token", "bench", "--label", "bench"],
        env=run_env,
        cwd=APP_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    HEADERS["Authorization"] = f"Bearer {made.stdout.strip()}"
    return dict(HEADERS)


def wrk_auth_line() -> str:
    """The Lua line that makes wrk send the token with every request."""
    return f'wrk.headers["Authorization"] = "{HEADERS["Authorization"]}"\n'


def env_int(name: str, default: int, small: int) -> int:
    """An integer size from the environment, with a smaller default under BENCH_SMALL."""
    return int(os.environ.get(name, small if SMALL else default))


def env_ints(name: str, default: str, small: str) -> list[int]:
    """A comma-separated list of sizes from the environment (BENCH_SMALL picks ``small``)."""
    return [int(v) for v in os.environ.get(name, small if SMALL else default).split(",") if v]


# Province scale, the size the goals are set for.
PROVINCE_PARCELS = env_int("BENCH_PARCELS", 1_000_000, 20_000)
PROVINCE_PROJECTS = env_int("BENCH_PROJECTS", 100_000, 6_000)
WORKERS = env_int("BENCH_WORKERS", 2, 2)


# --- data -------------------------------------------------------------------------------------


def dataset(parcels: int, projects: int) -> Path:
    """The synthetic province GeoPackage of this size, built once with ``geoapp demo``."""
    path = OUT / "data" / f"parcels-{parcels}-projects-{projects}.gpkg"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-c",
                "from geoapp.cli import main; main()",
                "demo",
                "--scale",
                "province",
                "--parcels",
                str(parcels),
                "--projects",
                str(projects),
                "--out",
                path,
            ],
            check=True,
            stdout=subprocess.DEVNULL,
            env=os.environ | APP_ENV,
        )
        print(f"built {path.name} in {time.perf_counter() - started:.0f} s")
    return path


def feature_centers(path: Path, table: str = "parcels") -> np.ndarray:
    """(n, 2) lon/lat centres of a table's features, from the GeoPackage's R-tree (fast)."""
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        rows = conn.execute(
            f"SELECT (minx + maxx) / 2, (miny + maxy) / 2 FROM rtree_{table}_geom"
        ).fetchall()
    return np.asarray(rows, dtype=float)


def data_extent(path: Path, table: str = "parcels") -> tuple[float, float, float, float]:
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        row = conn.execute(
            f"SELECT min(minx), min(miny), max(maxx), max(maxy) FROM rtree_{table}_geom"
        ).fetchone()
    return tuple(float(v) for v in row)


def random_bbox(
    rng: np.random.Generator, centers: np.ndarray, extent: tuple[float, float, float, float]
) -> tuple[float, float, float, float]:
    """A bbox of 10 % × 10 % of ``extent`` (1 % of its area) around a random feature centre,
    moved inside the extent: where a user pans to, over the data rather than empty land."""
    minx, miny, maxx, maxy = extent
    w, h = (maxx - minx) / 10, (maxy - miny) / 10
    lon, lat = centers[rng.integers(len(centers))]
    x0 = min(max(lon - w / 2, minx), maxx - w)
    y0 = min(max(lat - h / 2, miny), maxy - h)
    return (round(x0, 6), round(y0, 6), round(x0 + w, 6), round(y0 + h, 6))


def tile_of(lon: np.ndarray, lat: np.ndarray, z: int) -> tuple[np.ndarray, np.ndarray]:
    """Web Mercator tile column and row of each point at zoom ``z``."""
    n = 2**z
    x = np.floor((lon + 180) / 360 * n).astype(np.int64)
    sin = np.sin(np.radians(lat))
    y = np.floor((0.5 - np.log((1 + sin) / (1 - sin)) / (4 * math.pi)) * n).astype(np.int64)
    return x, y


def densest_tiles(centers: np.ndarray, z: int, k: int) -> list[tuple[int, int, int, int]]:
    """(z, x, y, count) of the ``k`` tiles holding the most feature centres, densest first."""
    x, y = tile_of(centers[:, 0], centers[:, 1], z)
    keys, counts = np.unique(x * 2**z + y, return_counts=True)
    best = np.argsort(-counts, kind="stable")[:k]
    return [(z, int(keys[i] // 2**z), int(keys[i] % 2**z), int(counts[i])) for i in best]


def densest_tile(centers: np.ndarray, z: int) -> tuple[int, int, int, int]:
    """(z, x, y, count) of the tile holding the most feature centres."""
    return densest_tiles(centers, z, 1)[0]


def tile_center(z: int, x: int, y: int) -> tuple[float, float]:
    """(lat, lon) of a tile's centre."""
    n = 2**z
    lon = (x + 0.5) / n * 360 - 180
    lat = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * (y + 0.5) / n))))
    return lat, lon


# --- servers ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    """A server process on loopback, its base URL and when it was started."""

    proc: subprocess.Popen
    base: str
    port: int
    started: float  # time.perf_counter() just before the process was started

    def pids(self) -> list[int]:
        """The master and its worker processes."""
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        return [self.proc.pid, *(int(p) for p in children.read_text().split())]


@contextlib.contextmanager
def gunicorn(
    app: str,
    env: dict[str, str],
    workers: int = WORKERS,
    wait_path: str | None = "/api/layers",
    extra: Sequence[str] = (),
    log: str = "gunicorn",
    port: int | None = None,
) -> Iterator[Server]:
    """Run ``gunicorn -w N app`` on a free loopback port until the block ends.

    Waits until ``wait_path`` answers (None: do not wait). Its log goes to bench/out/.
    """
    port = port or free_port()
    OUT.mkdir(parents=True, exist_ok=True)
    logfile = open(OUT / f"{log}.log", "w")  # noqa: SIM115  closed below
    cmd = [str(BIN / "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{port}", *extra, app]
    started = time.perf_counter()
    if app.startswith("geoapp"):
        sign_in(env)
    proc = subprocess.Popen(
        cmd, env=os.environ | APP_ENV | env, cwd=APP_ROOT, stdout=logfile, stderr=subprocess.STDOUT
    )
    server = Server(proc, f"http://127.0.0.1:{port}", port, started)
    try:
        if wait_path is not None:
            wait_until_served(server, wait_path)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        logfile.close()


GEOAPP_GUNICORN = ("--threads", "4", "--worker-class", "gthread", "--preload")  # as `make run`


def geoapp_server(data: Path, **kwargs) -> contextlib.AbstractContextManager[Server]:
    """geoapp under gunicorn as `make run` starts it (preloaded data shared by the workers)."""
    env = {"GEOAPP_DATA": str(data), "GEOAPP_WARM_UP": "1", "MALLOC_MMAP_THRESHOLD_": "131072"}
    return gunicorn("geoapp:create_app()", env, log="geoapp", extra=GEOAPP_GUNICORN, **kwargs)


def wait_until_served(server: Server, path: str, timeout: float = 300) -> float:
    """Poll ``path`` until it answers 200; the seconds since the process was started."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if server.proc.poll() is not None:
            raise RuntimeError(f"server exited with {server.proc.returncode}; see bench/out/")
        try:
            status, _ = get(server.port, path, timeout=timeout)
            if status == 200:
                return time.perf_counter() - server.started
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"{server.base}{path} not served within {timeout} s")


def get(port: int, path: str, timeout: float = 120) -> tuple[int, bytes]:
    """One GET on a new loopback connection (gunicorn's sync workers close each one)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers=HEADERS)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def timed_get(port: int, path: str) -> tuple[float, bytes]:
    """Milliseconds for one GET (connect, request, whole body); fails on a non-200."""
    started = time.perf_counter()
    status, body = get(port, path)
    elapsed = (time.perf_counter() - started) * 1000
    if status != 200:
        raise RuntimeError(f"GET {path}: HTTP {status}: {body[:300]!r}")
    return elapsed, body


def warm_workers(port: int, paths: Sequence[str], rounds: int = 3) -> None:
    """Send each path to the server concurrently, so every worker has loaded the data."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=2 * WORKERS) as pool:
        for path in paths:
            for status, _ in pool.map(lambda p: get(port, p, timeout=600), [path] * rounds * 2):
                if status != 200:
                    raise RuntimeError(f"warm-up GET {path}: HTTP {status}")


# --- figures ----------------------------------------------------------------------------------


def ms(samples: Sequence[float], p: float) -> float:
    """The p-th percentile (0–100) of millisecond samples, nearest-rank on sorted values."""
    values = sorted(samples)
    return values[min(len(values) - 1, max(0, math.ceil(p / 100 * len(values)) - 1))]


def p50_p95(samples: Sequence[float]) -> tuple[float, float]:
    return statistics.median(samples), ms(samples, 95)


def repeat(fn, n: int, warmup: int = 2, budget_s: float | None = None) -> list[float]:
    """Milliseconds of ``n`` calls of ``fn`` after ``warmup`` calls, stopping early (after at
    least 5 samples) when ``budget_s`` seconds have been spent, so a slow baseline ends."""
    for _ in range(warmup):
        fn()
    samples: list[float] = []
    start = time.perf_counter()
    for _ in range(n):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
        if budget_s and len(samples) >= 5 and time.perf_counter() - start > budget_s:
            break
    return samples


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table (pastes straight into bench/README.md)."""
    text = [[str(c) for c in row] for row in rows]
    widths = [max(len(str(h)), *(len(r[i]) for r in text)) for i, h in enumerate(headers)]
    lines = [
        "| " + " | ".join(str(h).ljust(w) for h, w in zip(headers, widths, strict=True)) + " |",
        "|" + "|".join("-" * (w + 2) for w in widths) + "|",
    ]
    lines += [
        "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in text
    ]
    return "\n".join(lines)


def ratio(slow: float | None, fast: float | None) -> str:
    if slow is None or fast is None or fast <= 0:
        return "—"
    return f"{slow / fast:,.1f}×"


def goal(ok: bool) -> str:
    return "met" if ok else "MISSED"


# --- the machine ------------------------------------------------------------------------------


def loadavg() -> float:
    return os.getloadavg()[0]


def load_note(before: float) -> str:
    """Say whether other processes were busy: the 1-minute load average before and after."""
    after = loadavg()
    busy = max(before, after) > 0.5
    flag = "UNDER LOAD (other processes busy)" if busy else "machine otherwise idle"
    return f"load average {before:.2f} before, {after:.2f} after, {os.cpu_count()} cores: {flag}"


def machine() -> str:
    """nproc, memory, CPU model, Python, GDAL: what the figures were measured on."""
    import pyogrio

    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next((v.split(":", 1)[1].strip() for v in cpuinfo if v.startswith("model name")), "?")
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    mem_kb = next(int(line.split()[1]) for line in meminfo if line.startswith("MemTotal"))
    return (
        f"{os.cpu_count()} cores ({cpu}), {mem_kb / 1024**2:.1f} GiB memory, "
        f"Python {platform.python_version()}, GDAL {pyogrio.__gdal_version_string__}"
    )


def header(title: str) -> float:
    """Print the script's title and machine; returns the load average at the start."""
    print(f"== {title}")
    print(f"   {machine()}")
    print(f"   sizes: {'BENCH_SMALL' if SMALL else 'full'}; geoapp from {APP_ROOT}")
    return loadavg()
