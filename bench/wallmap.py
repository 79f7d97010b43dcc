"""挂图作战图 at province scale: seconds per print (A4 → A0, PDF and PNG) and the labels.

    .venv/bin/python bench/wallmap.py          # the 1M-parcel, 100k-project province
    BENCH_SMALL=1 .venv/bin/python bench/wallmap.py
    .venv/bin/python bench/wallmap.py --picture docs/wallmap-a3.png   # the README's picture

``--picture`` prints an A3 landscape PNG of the demo data (GEOAPP_DATA, by default
data/geoapp.gpkg) for ``--query`` (default 陇县 with its red/yellow list) and makes it small
enough for the repository (1,800 px wide, 256 colours).

The issue's goal: an A0 print of the whole province in under 60 s. geoapp runs under
gunicorn as `make run` starts it (data preloaded); each print is one GET of
``/print/wallmap.<pdf|png>?size=…&lists=1`` (every project of the province, the red/yellow
list), timed from request to the last byte, ``BENCH_WALLMAP_RUNS`` times per size and format.
The baseline is the A4 of the same run: what grows from A4 to A0 is the sheet, the type, the
labels and the rows, not the data. "first" is the first print a worker makes (the fonts and
matplotlib's caches load then).

Labels: the projects an A0's index has room for (``BENCH_WALLMAP_LABELS``, most urgent
first), their numbers placed by ``geoapp.outputs.labels`` against matplotlib's default (each
label at the same offset from its point, as ``ax.annotate`` puts it): labels overlapping
another label, labels covering another numbered marker, labels left out, milliseconds.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import time
from pathlib import Path

import numpy as np
import pyogrio
from common import (
    APP_ENV,
    HEADERS,
    PROVINCE_PARCELS,
    PROVINCE_PROJECTS,
    dataset,
    env_int,
    geoapp_server,
    goal,
    header,
    load_note,
    ratio,
    sign_in,
    table,
    timed_get,
)

from geoapp.outputs.labels import Taken, marker_box, overlap, place
from geoapp.outputs.mapframe import MapBox, fit_extent, projection
from geoapp.outputs.paper import Paper
from geoapp.outputs.sheet import page_layout

SIZES = ("A4", "A3", "A1", "A0")
RUNS = env_int("BENCH_WALLMAP_RUNS", 3, 2)
LABELS = env_int("BENCH_WALLMAP_LABELS", 400, 400)
GOAL_S = 60.0
AS_OF = "2026-06-30"


def prints(port: int) -> dict[tuple[str, str], list[float]]:
    """Seconds of each print, per (size, format); the first print of all is kept apart."""
    first, _body = timed_get(port, f"/print/wallmap.pdf?size=A4&as_of={AS_OF}")
    print(f"first print (A4 PDF, fonts and caches loading): {first / 1000:.1f} s")
    seconds: dict[tuple[str, str], list[float]] = {}
    sizes: dict[tuple[str, str], int] = {}
    for _ in range(RUNS):
        for size in SIZES:
            for fmt in ("pdf", "png"):
                path = f"/print/wallmap.{fmt}?size={size}&lists=1&as_of={AS_OF}"
                elapsed, body = timed_get(port, path)
                seconds.setdefault((size, fmt), []).append(elapsed / 1000)
                sizes[(size, fmt)] = len(body)
    rows = []
    for (size, fmt), samples in seconds.items():
        base = statistics.median(seconds[("A4", fmt)])
        median = statistics.median(samples)
        rows.append(
            [
                size,
                fmt,
                f"{median:.1f}",
                f"{max(samples):.1f}",
                ratio(median, base),
                f"{sizes[(size, fmt)] / 1e6:.1f}",
            ]
        )
    print(table(["size", "format", "median s", "max s", "÷ A4", "MB"], rows))
    return seconds


def label_anchors(path, paper: Paper) -> tuple[list[tuple[float, float]], MapBox]:
    """The most urgent projects' points on an A0 sheet of the whole province (page points),
    as the print puts them (red, yellow, then by investment)."""
    frame = pyogrio.read_dataframe(
        path, layer="projects", columns=["warning", "total_investment"], read_geometry=True
    )
    lon = frame.geometry.x.to_numpy()
    crs = projection((np.nanmin(lon) + np.nanmax(lon)) / 2)
    xy = frame.geometry.to_crs(crs)
    layout = page_layout(paper)
    box = MapBox(layout.map, fit_extent(tuple(xy.total_bounds), layout.map))
    px, py = box.to_page(xy.x.to_numpy(), xy.y.to_numpy())
    rank = frame["warning"].map({"red": 0, "yellow": 1}).fillna(2).to_numpy()
    order = np.lexsort((-frame["total_investment"].fillna(0).to_numpy(), rank))[:LABELS]
    return [(float(px[i]), float(py[i])) for i in order], box


def labels(path) -> None:
    paper = Paper("A0", "landscape")
    anchors, box = label_anchors(path, paper)
    body = paper.body_pt
    size, radius = 0.9 * body, 3.5 * paper.scale**0.5
    label = ((0.6 * 3 + 0.7) * size, 1.35 * size)
    markers = [marker_box(x, y, radius) for x, y in anchors]
    started = time.perf_counter()
    naive = [
        (x + radius, y + radius, x + radius + label[0], y + radius + label[1]) for x, y in anchors
    ]
    naive_ms = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    taken = Taken(cell=4 * body)
    taken.add_all(markers)
    placed = place(anchors, [label] * len(anchors), radius + 0.1 * size, box.page, taken)
    ours_ms = (time.perf_counter() - started) * 1000
    ours = [p.box for p in placed]
    rows = [
        ["matplotlib default (fixed offset)", *_quality(naive, markers, len(anchors))],
        ["greedy with collision boxes", *_quality(ours, markers, len(anchors))],
    ]
    rows[0].append(f"{naive_ms:.1f}")
    rows[1].append(f"{ours_ms:.1f}")
    print(f"\nlabels: the {len(anchors)} most urgent projects on an A0 of the province")
    print(
        table(["placement", "drawn", "over another label", "over a marker", "left out", "ms"], rows)
    )


def _quality(boxes, markers, wanted: int) -> list[str]:
    """Labels drawn; of them, those overlapping another label, those covering a numbered
    marker (other than their own, which they touch at most); how many were left out."""
    arr = np.array(boxes) if boxes else np.zeros((0, 4))
    hits = (arr[:, None, 0] < arr[None, :, 2]) & (arr[None, :, 0] < arr[:, None, 2])
    hits &= (arr[:, None, 1] < arr[None, :, 3]) & (arr[None, :, 1] < arr[:, None, 3])
    np.fill_diagonal(hits, False)
    on_marker = sum(any(overlap(b, m) for m in markers) for b in boxes)
    return [
        str(len(boxes)),
        str(int(hits.any(axis=1).sum())),
        str(on_marker),
        str(wanted - len(boxes)),
    ]


def picture(out: Path, query: str) -> None:
    """An A3 landscape print of the demo data, shrunk for the README."""
    from PIL import Image

    from geoapp import create_app
    from geoapp.config import SETTINGS

    data = os.environ.get("GEOAPP_DATA") or next(
        s.default for s in SETTINGS if s.name == "GEOAPP_DATA"
    )
    sign_in({"GEOAPP_DATA": data})
    app = create_app({"GEOAPP_DATA": data, "GEOAPP_SECRET_KEY": APP_ENV["GEOAPP_SECRET_KEY"]})
    answer = app.test_client().get(query, headers=HEADERS)
    assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
    image = Image.open(io.BytesIO(answer.data)).convert("RGB")
    small = image.resize((1800, round(1800 * image.height / image.width)), Image.LANCZOS)
    small.quantize(256, dither=Image.Dither.NONE).save(out, optimize=True)
    print(f"{out}: {small.width}×{small.height}, {out.stat().st_size / 1000:.0f} KB, of {query}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--picture", type=Path, help="write the README's A3 picture here")
    parser.add_argument(
        "--query", default="/print/wallmap.png?county=610327&size=A3&lists=1&as_of=2026-11-30"
    )
    args = parser.parse_args()
    if args.picture:
        picture(args.picture, args.query)
        return
    before = header("wall map (挂图作战图) prints at province scale")
    path = dataset(PROVINCE_PARCELS, PROVINCE_PROJECTS)
    print(f"data: {path.name}")
    with geoapp_server(path) as server:
        seconds = prints(server.port)
    worst = max(max(seconds[("A0", fmt)]) for fmt in ("pdf", "png"))
    met = goal(worst < GOAL_S)
    print(f"goal: an A0 of the province in under {GOAL_S:.0f} s (slowest {worst:.1f} s): {met}")
    labels(path)
    print(load_note(before))


if __name__ == "__main__":
    main()
