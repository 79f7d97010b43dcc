"""Projects on screen: a province's default view and a dense zoom-12 view, against the demo.

    .venv/bin/python bench/overview.py          # the demo and a 1M-parcel, 100k-project province
    BENCH_SMALL=1 .venv/bin/python bench/overview.py

The issue's goal: projects visible within 1.5 s at the province default view (seen whole:
counts per county) and at a dense zoom-12 view (clusters), on a quiet machine, with the ratio
to the demo measured in the same run. Each page is opened in a fresh browser context (nothing
cached) under gunicorn as `make run` starts it; the time is ``performance.now()`` (ms since
navigation start) when the first project symbol is on the page: a county count
(``.geoapp-overview-projects``), a cluster bubble or a point. "cold" is each view's first
visit after the server started (its workers warmed on ``/api/layers`` only), "warm" the median
of the following visits. Requests for tiles of layers not shown at the view's zoom (parcels and
standard land below zoom 10) are counted: there should be none.
"""

from __future__ import annotations

import statistics
import subprocess
import sys

from common import (
    CHROMIUM,
    CHROMIUM_ARGS,
    HEADERS,
    OUT,
    PROVINCE_PARCELS,
    PROVINCE_PROJECTS,
    dataset,
    densest_tile,
    env_int,
    feature_centers,
    geoapp_server,
    goal,
    header,
    load_note,
    ratio,
    table,
    tile_center,
)
from playwright.sync_api import sync_playwright

VIEWPORT = {"width": 1366, "height": 768}
RUNS = env_int("BENCH_OVERVIEW_RUNS", 4, 2)
GOAL_MS = 1500
MIN_ZOOM_10 = ("parcels", "standard_land")  # layers shown from zoom 10 (layers/*.toml)
SHOWN = """() => {
  const found = document.querySelector(
    '.geoapp-overview-projects, .geoapp-cluster-projects, path.geoapp-layer-projects');
  return found ? performance.now() : false;
}"""


def demo_data():
    """The county-scale demo (`geoapp demo`), built once into bench/out/."""
    path = OUT / "data" / "demo.gpkg"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-c", "from geoapp.cli import main; main()", "demo"]
        subprocess.run([*command, "--out", str(path)], check=True, stdout=subprocess.DEVNULL)
    return path


def dense_view(data) -> str:
    """A shared link to zoom 12 over the densest z12 tile of projects."""
    z, x, y, _count = densest_tile(feature_centers(data, "projects"), 12)
    lat, lon = tile_center(z, x, y)
    return f"/?view=12/{lat:.5f}/{lon:.5f}"


def visit(browser, url: str) -> tuple[float | None, int]:
    """ms until the first project symbol, and requests for tiles of hidden layers."""
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN", extra_http_headers=HEADERS)
    page = context.new_page()
    hidden_tiles = []

    def route(route, request):
        if not request.url.startswith("http://127.0.0.1:"):
            route.abort()
            return
        if any(f"/tiles/{layer}/" in request.url for layer in MIN_ZOOM_10):
            hidden_tiles.append(request.url)
        route.continue_()

    page.route("**/*", route)
    try:
        page.goto(url, wait_until="commit")
        shown = page.wait_for_function(SHOWN, polling="raf", timeout=90_000).json_value()
        zoom = page.evaluate("Object.values(window).find((v) => v instanceof L.Map).getZoom()")
        hidden = len(hidden_tiles) if zoom < 10 else 0
        return shown, hidden
    finally:
        context.close()


def measure(browser, data, views: dict[str, str]) -> dict[str, tuple]:
    """Per view: cold ms, warm median ms, hidden-layer tile requests."""
    results = {}
    with geoapp_server(data) as server:
        for name, path in views.items():
            times, hidden = [], 0
            for _ in range(RUNS):
                ms, extra = visit(browser, server.base + path)
                times.append(ms)
                hidden += extra
            results[name] = (times[0], statistics.median(times[1:]), hidden)
    return results


def main() -> None:
    before = header("projects on screen: default view and a dense zoom-12 view (1366×768)")
    demo = demo_data()
    province = dataset(PROVINCE_PARCELS, PROVINCE_PROJECTS)
    rows, met = [], True
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        figures = {
            label: measure(browser, data, {"default view": "/", "zoom 12, dense": dense_view(data)})
            for label, data in (("demo", demo), ("province", province))
        }
        browser.close()
    for view in ("default view", "zoom 12, dense"):
        for label in ("demo", "province"):
            cold, warm, hidden = figures[label][view]
            rows.append([label, view, f"{cold:,.0f} ms", f"{warm:,.0f} ms", hidden])
        cold, warm, _ = figures["province"][view]
        base_cold, base_warm, _ = figures["demo"][view]
        rows.append(["province ÷ demo", view, ratio(cold, base_cold), ratio(warm, base_warm), ""])
        met = met and warm <= GOAL_MS
    print(table(["data", "view", "cold", "warm (median)", "hidden-layer tiles"], rows))
    province_size = f"{PROVINCE_PARCELS:,} parcels, {PROVINCE_PROJECTS:,} projects"
    print(f"province: {province_size}; goal: projects within {GOAL_MS} ms (warm): {goal(met)}")
    print(load_note(before))


if __name__ == "__main__":
    main()
