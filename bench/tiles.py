"""Vector tiles of the parcels: cold and warm latency, size, a naive encoder, throughput.

    .venv/bin/python bench/tiles.py
    BENCH_SMALL=1 .venv/bin/python bench/tiles.py

Over the densest areas: at z10, z14 and z16 the tiles holding the most parcel centres (9, 25
and 25 of them; the densest first, so no empty tile flatters the figures).

- cold: ``geoapp.tiles.build_tile`` called directly on a fresh store (table already in memory,
  no tile cache): what the first visitor of a tile waits for on the server;
- warm: the same tiles through gunicorn over loopback HTTP once every worker has cached them;
- naive: the densest z14 tile read from the same in-memory store, reprojected with
  ``to_crs(3857)`` and encoded by ``mapbox_vector_tile.encode`` without thinning or clipping;
- throughput: ``wrk`` (Debian package; a Python client if it is missing) cycling over the warm
  tile URLs for BENCH_WRK_SECONDS against gunicorn with 2 workers, all on the same 2 cores.
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import threading
import time
from pathlib import Path

import mapbox_vector_tile
import numpy as np
from common import (
    OUT,
    PROVINCE_PARCELS,
    PROVINCE_PROJECTS,
    WORKERS,
    dataset,
    densest_tiles,
    env_int,
    feature_centers,
    geoapp_server,
    get,
    goal,
    header,
    load_note,
    p50_p95,
    ratio,
    table,
    timed_get,
    warm_workers,
    wrk_auth_line,
)

ROUNDS = env_int("BENCH_TILE_ROUNDS", 4, 2)
WRK_SECONDS = env_int("BENCH_WRK_SECONDS", 12, 5)
TILES = {10: 9, 14: 25, 16: 25}  # the densest tiles measured at each zoom


def tile_blocks(data: Path) -> dict[int, list[tuple[int, int, int]]]:
    """The densest tiles at each zoom (densest first), by parcel centres."""
    centers = feature_centers(data)
    return {z: [t[:3] for t in densest_tiles(centers, z, k)] for z, k in TILES.items()}


def fresh_app(data: Path):
    """A new geoapp (fresh store, empty caches) with the parcels table loaded in memory."""
    os.environ["GEOAPP_DATA"] = str(data)
    from geoapp import create_app

    app = create_app()
    with app.app_context():
        app.extensions["geoapp"].store.extent("parcels")  # load the table, not a tile's cost
    return app


def cold_builds(app, blocks) -> tuple[dict, dict]:
    """ms of each direct ``build_tile`` (no tile cache) and the bytes of each tile."""
    from geoapp.query import MapFilter
    from geoapp.tiles import build_tile

    times, sizes = {z: [] for z in blocks}, {}
    with app.app_context():
        svc = app.extensions["geoapp"]
        layer = svc.layer("parcels", "internal")
        for _ in range(ROUNDS):
            for z, tiles in blocks.items():
                for zxy in tiles:
                    started = time.perf_counter()
                    data = build_tile(svc.store, layer, MapFilter(), "internal", *zxy)
                    times[z].append((time.perf_counter() - started) * 1000)
                    sizes[zxy] = len(data)
    return times, sizes


def naive_tile(app, zxy) -> tuple[float, int, int]:
    """ms and bytes of one tile the naive way (to_crs + mapbox_vector_tile), features kept."""
    from geoapp.stores.base import Query
    from geoapp.tiles import tile_bounds

    with app.app_context():
        svc = app.extensions["geoapp"]
        layer = svc.layer("parcels", "internal")
        fields = layer.tile_fields("internal")
        west, south, east, north = tile_bounds(*zxy)
        started = time.perf_counter()
        frame = svc.store.read(
            "parcels", Query(bbox=(west, south, east, north), columns=tuple(fields))
        ).to_crs(3857)
        x0, y0 = mercator(west, south)
        x1, y1 = mercator(east, north)
        records = frame[fields].astype(object).to_dict(orient="records")
        features = [
            {"geometry": geom, "properties": props, "id": int(fid)}
            for geom, props, fid in zip(frame.geometry, records, frame.index, strict=True)
        ]
        data = mapbox_vector_tile.encode(
            [{"name": "parcels", "features": features}],
            default_options={"quantize_bounds": (x0, y0, x1, y1), "extents": 4096},
        )
        return (time.perf_counter() - started) * 1000, len(data), len(features)


def mercator(lon: float, lat: float) -> tuple[float, float]:
    r = 6378137.0
    return np.radians(lon) * r, np.log(np.tan(np.pi / 4 + np.radians(lat) / 2)) * r


def url(zxy) -> str:
    return "/tiles/parcels/{}/{}/{}.pbf".format(*zxy)


def warm_requests(port: int, blocks) -> dict:
    """ms of each tile request once every worker has the tiles in its cache."""
    urls = [url(zxy) for tiles in blocks.values() for zxy in tiles]
    warm_workers(port, urls, rounds=2 * WORKERS)
    times = {z: [] for z in blocks}
    for _ in range(ROUNDS):
        for z, tiles in blocks.items():
            for zxy in tiles:
                times[z].append(timed_get(port, url(zxy))[0])
    return times


def throughput(port: int, urls: list[str]) -> tuple[float, str]:
    """Tiles per second over loopback, bounded to WRK_SECONDS."""
    if shutil.which("wrk"):
        script = OUT / "tiles.lua"
        quoted = ", ".join(f'"{u}"' for u in urls)
        script.write_text(
            wrk_auth_line() + f"local paths = {{{quoted}}}\nlocal i = 0\n"
            "request = function()\n  i = i % #paths + 1\n"
            "  return wrk.format('GET', paths[i])\nend\n"
        )
        out = subprocess.run(
            [
                "wrk",
                "-t2",
                "-c8",
                f"-d{WRK_SECONDS}s",
                "-s",
                str(script),
                f"http://127.0.0.1:{port}",
            ],
            check=True,
            capture_output=True,
            text=True,
            timeout=WRK_SECONDS + 30,
        ).stdout
        errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        if errors:
            raise RuntimeError(f"wrk: {errors.group(0)}")
        return float(re.search(r"Requests/sec:\s*([\d.]+)", out).group(1)), "wrk -t2 -c8"
    return python_load(port, urls), "Python client, 8 threads"


def python_load(port: int, urls: list[str]) -> float:
    """Fallback load: 8 threads cycling over the URLs until the time is up."""
    done, stop = [0] * 8, time.perf_counter() + WRK_SECONDS

    def worker(k):
        i = k
        while time.perf_counter() < stop:
            status, _ = get(port, urls[i % len(urls)])
            assert status == 200
            done[k] += 1
            i += 8

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(done) / (time.perf_counter() - started)


def main() -> None:
    before = header(f"vector tiles of {PROVINCE_PARCELS:,} parcels")
    data = dataset(PROVINCE_PARCELS, PROVINCE_PROJECTS)
    blocks = tile_blocks(data)
    print("   densest tiles: " + ", ".join(f"z{z} {len(t)} from {t[0]}" for z, t in blocks.items()))
    app = fresh_app(data)
    cold, sizes = cold_builds(app, blocks)
    z14 = blocks[14][0]
    naive_ms, naive_bytes, naive_features = naive_tile(app, z14)
    ours_ms = statistics.median(cold[14][:: len(blocks[14])])  # the densest tile, all rounds
    with geoapp_server(data) as server:
        warm = warm_requests(server.port, blocks)
        urls = [url(zxy) for tiles in blocks.values() for zxy in tiles]
        rate, client = throughput(server.port, urls)
    rows = []
    for z, tiles in blocks.items():
        c50, c95 = p50_p95(cold[z])
        w50, w95 = p50_p95(warm[z])
        kb = [sizes[t] / 1024 for t in tiles]
        rows.append(
            [
                f"z{z}",
                len(tiles),
                f"{c50:.1f}",
                f"{c95:.1f}",
                f"{w50:.2f}",
                f"{w95:.2f}",
                f"{sizes[tiles[0]] / 1024:.1f}",
                f"{max(kb):.1f}",
            ]
        )
    print(f"\nms per tile over {ROUNDS} rounds; cold = build_tile, warm = cached, via gunicorn")
    print(
        table(
            [
                "zoom",
                "tiles",
                "cold p50",
                "cold p95",
                "warm p50",
                "warm p95",
                "densest tile KB",
                "largest KB",
            ],
            rows,
        )
    )
    print(
        f"\nnaive z14 {z14}: mapbox_vector_tile.encode of {naive_features:,} parcels, "
        f"{naive_ms:.0f} ms, {naive_bytes / 1024:.0f} KB; geoapp build_tile {ours_ms:.1f} ms, "
        f"{sizes[z14] / 1024:.0f} KB: {ratio(naive_ms, ours_ms)} faster, "
        f"{ratio(naive_bytes, sizes[z14])} smaller"
    )
    print(
        f"throughput: {rate:,.0f} tiles/s ({client}, {WRK_SECONDS} s, {len(urls)} warm tiles, "
        f"gunicorn {WORKERS} workers; client and server share the 2 cores)"
    )
    c50_14, w50_14 = p50_p95(cold[14])[0], p50_p95(warm[14])[0]
    print("\ngoals (z14):")
    print(f"   {goal(w50_14 < 5)}: warm < 5 ms (p50 {w50_14:.2f} ms)")
    print(f"   {goal(c50_14 < 50)}: cold < 50 ms (p50 {c50_14:.1f} ms)")
    print(f"   {goal(rate >= 500)}: ≥ 500 tiles/s ({rate:,.0f})")
    print(f"   {load_note(before)}")


if __name__ == "__main__":
    main()
