"""Feature query over the province parcels: geoapp's API vs pygeoapi vs pyogrio.

    .venv/bin/python bench/query.py
    BENCH_SMALL=1 .venv/bin/python bench/query.py

The question an official asks: the parcels still available in one area, first page of 1000
and how many match in all. The area is a bbox of 10 % × 10 % of the parcels' extent (1 % of
its area) centred on the densest z14 tile, with ``land_state=available``. Three ways:

- geoapp under gunicorn: ``/api/layers/parcels/features?bbox=…&land_state=available&limit=1000``
  (one request: the page and ``numberMatched``);
- pygeoapi (OGC API Features, SQLiteGPKG provider over the same file, gunicorn): the page
  ``/collections/parcels/items?…&limit=1000`` does not carry numberMatched with this provider,
  so the count is a second request with ``resulttype=hits``; both are timed;
- pyogrio in-process: ``read_dataframe(bbox=…, where=…)``, count + first 1000 (no HTTP, no
  JSON — the floor for reading the file with GDAL).

p50/p95 over BENCH_QUERY_N requests each after warm-up (a slow baseline stops after
BENCH_QUERY_BUDGET seconds with at least 5). The same URL again and again measures geoapp's
caches (it keeps the positions of recent queries), so the servers are also measured on varied
questions: each request a new bbox of the same size around a random parcel and a random
``land_state`` (fixed seed; the same sequence for geoapp and for pygeoapi's page + count). Then
the attribute filter alone on the parcels' ``land_state``: text column vs categorical, as
geoapp's FrameIndex keeps it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import numpy as np
import pyogrio
import yaml
from common import (
    OUT,
    PROVINCE_PARCELS,
    PROVINCE_PROJECTS,
    ROOT,
    data_extent,
    dataset,
    densest_tile,
    env_int,
    feature_centers,
    free_port,
    geoapp_server,
    goal,
    gunicorn,
    header,
    load_note,
    p50_p95,
    random_bbox,
    ratio,
    repeat,
    table,
    tile_center,
    timed_get,
    warm_workers,
)

N = env_int("BENCH_QUERY_N", 30, 10)
BUDGET_S = env_int("BENCH_QUERY_BUDGET", 120, 20)
LIMIT = 1000
LAND_STATES = ("occupied", "available", "reserved", "standard_land", "factory")
WARMUP = 2


def query_bbox(data: Path) -> tuple[float, float, float, float]:
    """10 % of the extent on each side (1 % of its area), around the densest z14 tile."""
    minx, miny, maxx, maxy = data_extent(data)
    w, h = (maxx - minx) / 10, (maxy - miny) / 10
    lat, lon = tile_center(*densest_tile(feature_centers(data), 14)[:3])
    x0 = min(max(lon - w / 2, minx), maxx - w)
    y0 = min(max(lat - h / 2, miny), maxy - h)
    return (round(x0, 6), round(y0, 6), round(x0 + w, 6), round(y0 + h, 6))


def bbox_arg(bbox) -> str:
    return ",".join(str(v) for v in bbox)


def varied_args(data: Path) -> list[dict]:
    """Warm-up and N questions that differ from request to request: a bbox of 1 % of the
    extent around a random parcel, a random land_state (fixed seed)."""
    rng = np.random.default_rng(3)
    centers, extent = feature_centers(data), data_extent(data)
    return [
        {"bbox": bbox_arg(random_bbox(rng, centers, extent)), "land_state": rng.choice(LAND_STATES)}
        for _ in range(WARMUP + N)
    ]


def varied_samples(port: int, paths: list[str], pairs: int = 1) -> tuple[list[float], list]:
    """ms of each varied request (``pairs`` consecutive paths timed as one), after warm-up,
    and the bodies of the timed ones."""
    queue, bodies = iter(paths), []

    def run():
        bodies.append([timed_get(port, next(queue))[1] for _ in range(pairs)])

    samples = repeat(run, N, WARMUP, budget_s=BUDGET_S)
    return samples, bodies[WARMUP:]


def geoapp_figures(data: Path, bbox, varied: list[dict]) -> dict:
    path = "/api/layers/parcels/features?" + urlencode(
        {"bbox": bbox_arg(bbox), "land_state": "available", "limit": LIMIT}
    )
    paths = ["/api/layers/parcels/features?" + urlencode(a | {"limit": LIMIT}) for a in varied]
    with geoapp_server(data) as server:
        warm_workers(server.port, [path])
        body = json.loads(timed_get(server.port, path)[1])
        samples = repeat(lambda: timed_get(server.port, path), N, budget_s=BUDGET_S)
        varied_ms, bodies = varied_samples(server.port, paths)
    return {
        "matched": body["numberMatched"],
        "returned": body["numberReturned"],
        "samples": samples,
        "varied": varied_ms,
        "varied_matched": [json.loads(b[0])["numberMatched"] for b in bodies],
    }


def pygeoapi_config(data: Path, port: int) -> tuple[Path, Path]:
    """A pygeoapi config with one collection (SQLiteGPKG over the parcels) and its OpenAPI."""
    folder = OUT / "pygeoapi"
    folder.mkdir(parents=True, exist_ok=True)
    minx, miny, maxx, maxy = data_extent(data)
    config = {
        "server": {
            "bind": {"host": "127.0.0.1", "port": port},
            "url": f"http://127.0.0.1:{port}",
            "mimetype": "application/json; charset=UTF-8",
            "encoding": "utf-8",
            "language": "en-US",
            "pretty_print": False,
            "limits": {"default_items": 10, "max_items": 10_000},
            "map": {"url": "http://127.0.0.1/none", "attribution": "none"},
        },
        "logging": {"level": "ERROR"},
        "metadata": {
            "identification": {
                "title": "bench",
                "description": "bench",
                "keywords": ["bench"],
                "terms_of_service": "none",
                "url": "http://127.0.0.1",
            },
            "license": {"name": "MIT", "url": "http://127.0.0.1"},
            "provider": {"name": "bench", "url": "http://127.0.0.1"},
            "contact": {
                key: "bench"
                for key in (
                    "name",
                    "position",
                    "address",
                    "city",
                    "stateorprovince",
                    "postalcode",
                    "country",
                    "phone",
                    "fax",
                    "email",
                    "url",
                    "hours",
                    "instructions",
                    "role",
                )
            },
        },
        "resources": {
            "parcels": {
                "type": "collection",
                "title": "parcels",
                "description": "parcels",
                "keywords": ["parcels"],
                "extents": {"spatial": {"bbox": [minx, miny, maxx, maxy]}},
                "providers": [
                    {
                        "type": "feature",
                        "name": "SQLiteGPKG",
                        "data": str(data),
                        "id_field": "fid",
                        "table": "parcels",
                    }
                ],
            }
        },
    }
    config_path, openapi_path = folder / "config.yml", folder / "openapi.yml"
    config_path.write_text(yaml.safe_dump(config, allow_unicode=True))
    subprocess.run(
        [
            sys.executable,
            ROOT / "bench" / "pygeoapi_app.py",
            "openapi",
            "generate",
            config_path,
            "--output-file",
            openapi_path,
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return config_path, openapi_path


def pygeoapi_figures(data: Path, bbox, varied: list[dict]) -> dict:
    args = {"bbox": bbox_arg(bbox), "land_state": "available", "f": "json"}
    page = "/collections/parcels/items?" + urlencode(args | {"limit": LIMIT})
    hits = "/collections/parcels/items?" + urlencode(args | {"resulttype": "hits"})
    pairs = [
        "/collections/parcels/items?" + urlencode(a | {"f": "json"} | extra)
        for a in varied
        for extra in ({"limit": LIMIT}, {"resulttype": "hits"})
    ]
    port = free_port()
    config, openapi = pygeoapi_config(data, port)
    env = {"PYGEOAPI_CONFIG": str(config), "PYGEOAPI_OPENAPI": str(openapi)}
    with gunicorn(
        "pygeoapi_app:app",
        env,
        wait_path="/collections?f=json",
        log="pygeoapi",
        extra=["--pythonpath", str(ROOT / "bench"), "--timeout", "300"],
        port=port,
    ) as server:
        body = json.loads(timed_get(server.port, page)[1])
        matched = json.loads(timed_get(server.port, hits)[1])["numberMatched"]
        page_ms = repeat(lambda: timed_get(server.port, page), N, 1, budget_s=BUDGET_S)
        hits_ms = repeat(lambda: timed_get(server.port, hits), N, 1, budget_s=BUDGET_S)
        varied_ms, bodies = varied_samples(server.port, pairs, pairs=2)
    return {
        "matched": matched,
        "returned": len(body["features"]),
        "page": page_ms,
        "hits": hits_ms,
        "varied": varied_ms,
        "varied_matched": [json.loads(b[1])["numberMatched"] for b in bodies],
    }


def pyogrio_figures(data: Path, bbox) -> dict:
    found = {}

    def run():
        frame = pyogrio.read_dataframe(
            data, layer="parcels", bbox=bbox, where="land_state = 'available'"
        )
        found.update(matched=len(frame), returned=len(frame.iloc[:LIMIT]))

    samples = repeat(run, N, 1, budget_s=BUDGET_S)
    return found | {"samples": samples}


def attribute_filter(data: Path) -> list[list[str]]:
    """``land_state == available`` on every parcel: text vs categorical (FrameIndex's way)."""
    text = pyogrio.read_dataframe(
        data, layer="parcels", columns=["land_state"], read_geometry=False
    )["land_state"]
    as_object = text.astype(object)
    category = text.astype("category")

    def by_codes():
        good = np.flatnonzero(category.cat.categories.isin(["available"]))
        return np.isin(category.cat.codes.to_numpy(), good)

    cases = [
        (f"text ({text.dtype})  isin", lambda: text.isin(["available"]).to_numpy()),
        ("text (object)  isin", lambda: as_object.isin(["available"]).to_numpy()),
        ("categorical  isin", lambda: category.isin(["available"]).to_numpy()),
        ("categorical codes  np.isin (FrameIndex)", by_codes),
    ]
    expected = int(text.eq("available").sum())
    rows, base = [], None
    for name, fn in cases:
        assert int(fn().sum()) == expected, name
        p50, p95 = p50_p95(repeat(fn, 30, 3))
        base = base or p50
        rows.append([name, f"{p50:.2f}", f"{p95:.2f}", ratio(base, p50)])
    return rows


def main() -> None:
    before = header(f"feature query over {PROVINCE_PARCELS:,} parcels")
    data = dataset(PROVINCE_PARCELS, PROVINCE_PROJECTS)
    bbox = query_bbox(data)
    print(f"   bbox {bbox_arg(bbox)} (1 % of the extent), land_state=available, limit {LIMIT}")
    varied = varied_args(data)
    started = time.perf_counter()
    ours = geoapp_figures(data, bbox, varied)
    theirs = pygeoapi_figures(data, bbox, varied)
    gdal = pyogrio_figures(data, bbox)
    g50, g95 = p50_p95(ours["samples"])
    p50, p95 = p50_p95(theirs["page"])
    h50, h95 = p50_p95(theirs["hits"])
    o50, o95 = p50_p95(gdal["samples"])
    v50, v95 = p50_p95(ours["varied"])
    pv50, pv95 = p50_p95(theirs["varied"])
    counts = ours["varied_matched"]
    spread = f"{min(counts):,}–{max(counts):,}"
    rows = [
        [
            "geoapp API (page + numberMatched), repeated URL",
            ours["matched"],
            ours["returned"],
            len(ours["samples"]),
            f"{g50:.1f}",
            f"{g95:.1f}",
            "1.0×",
        ],
        [
            "pygeoapi page (limit 1000)",
            "—",
            theirs["returned"],
            len(theirs["page"]),
            f"{p50:.1f}",
            f"{p95:.1f}",
            ratio(p50, g50),
        ],
        [
            "pygeoapi resulttype=hits",
            theirs["matched"],
            "—",
            len(theirs["hits"]),
            f"{h50:.1f}",
            f"{h95:.1f}",
            ratio(h50, g50),
        ],
        [
            "pygeoapi page + hits",
            theirs["matched"],
            theirs["returned"],
            "",
            f"{p50 + h50:.1f}",
            f"{p95 + h95:.1f}",
            ratio(p50 + h50, g50),
        ],
        [
            "geoapp API, varied bbox/land_state",
            spread,
            f"≤ {LIMIT}",
            len(ours["varied"]),
            f"{v50:.1f}",
            f"{v95:.1f}",
            f"1.0× (repeated URL × {v50 / g50:.1f})",
        ],
        [
            "pygeoapi page + hits, varied bbox/land_state",
            spread,
            f"≤ {LIMIT}",
            len(theirs["varied"]),
            f"{pv50:.1f}",
            f"{pv95:.1f}",
            ratio(pv50, v50),
        ],
        [
            "pyogrio read_dataframe (in-process)",
            gdal["matched"],
            gdal["returned"],
            len(gdal["samples"]),
            f"{o50:.1f}",
            f"{o95:.1f}",
            ratio(o50, g50),
        ],
    ]
    elapsed = time.perf_counter() - started
    print(f"\nms per query (wall clock, loopback HTTP for the servers); {elapsed:.0f} s in all")
    print("   (varied rows: ratio to geoapp's varied p50)")
    print(table(["way", "matched", "returned", "n", "p50 ms", "p95 ms", "/ geoapp p50"], rows))
    if len({ours["matched"], theirs["matched"], gdal["matched"]}) != 1:
        print("   WARNING: the three ways disagree on the number matched")
    common = min(len(counts), len(theirs["varied_matched"]))
    if counts[:common] != theirs["varied_matched"][:common]:
        print("   WARNING: geoapp and pygeoapi disagree on the number matched of varied queries")
    print(f"\nattribute filter alone, land_state == 'available' on {PROVINCE_PARCELS:,} rows (ms)")
    print(table(["how", "p50 ms", "p95 ms", "speed-up"], attribute_filter(data)))
    print("\ngoals:")
    print(
        f"   {goal(v50 < 20)}: p50 < 20 ms (geoapp p50 {v50:.1f} ms on varied queries; "
        f"{g50:.1f} ms on the repeated URL)"
    )
    print(
        f"   {goal(pv50 / v50 >= 10)}: ≥10× faster than pygeoapi (varied queries, page + count: "
        f"{ratio(pv50, v50)}; repeated URL, page + count: {ratio(p50 + h50, g50)}; "
        f"page alone: {ratio(p50, g50)})"
    )
    print(f"   {load_note(before)}")


if __name__ == "__main__":
    main()
