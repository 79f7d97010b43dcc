"""Server memory and start-up at province scale: gunicorn master + workers, as in production.

    .venv/bin/python bench/memory.py
    BENCH_SMALL=1 .venv/bin/python bench/memory.py

Start-up: from starting the gunicorn process until the first tile (densest z14 parcels tile)
and then the first map page are served; each worker reads the GeoPackage on its first request,
so these include loading the tables. Then the page, the projects' points.bin and tiles at
z10–z16 are requested until both workers have served them, and the peak RSS (``VmHWM`` in
/proc/<pid>/status) of every process is read. The sum over processes is an upper bound of the
peak (the processes need not peak together, and pages shared after fork count in each).
"""

from __future__ import annotations

import time
from pathlib import Path

from common import (
    OUT,
    PROVINCE_PARCELS,
    PROVINCE_PROJECTS,
    WORKERS,
    dataset,
    densest_tiles,
    feature_centers,
    geoapp_server,
    goal,
    header,
    load_note,
    table,
    timed_get,
    wait_until_served,
    warm_workers,
)


def status_kb(pid: int, key: str) -> int:
    """One ``kB`` figure of /proc/<pid>/status (VmHWM: peak RSS, VmRSS: RSS now)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise KeyError(key)


def pss_kb(pid: int) -> int:
    """Proportional set size: shared pages split between the processes sharing them, so the
    sum over master and workers is the memory the server really holds."""
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    raise KeyError("Pss")


def tile_urls(data: Path) -> list[str]:
    """The densest tiles at z10, z12, z14 and z16 (what a user looking around would load)."""
    centers = feature_centers(data)
    tiles = [
        t for z, k in ((10, 4), (12, 8), (14, 16), (16, 16)) for t in densest_tiles(centers, z, k)
    ]
    return ["/tiles/parcels/{}/{}/{}.pbf".format(*t[:3]) for t in tiles]


def main() -> None:
    before = header(f"server memory and start-up, {PROVINCE_PARCELS:,} parcels")
    data = dataset(PROVINCE_PARCELS, PROVINCE_PROJECTS)
    urls = tile_urls(data)
    with geoapp_server(data, wait_path=None) as server:
        first_tile = wait_until_served(server, urls[len(urls) // 2])
        page_ms, html = timed_get(server.port, "/")
        first_page = time.perf_counter() - server.started
        warm_workers(server.port, ["/", "/api/layers/projects/points.bin", *urls], rounds=2)
        rows = []
        for i, pid in enumerate(server.pids()):
            hwm, rss = status_kb(pid, "VmHWM") / 1024, status_kb(pid, "VmRSS") / 1024
            pss = pss_kb(pid) / 1024
            rows.append(
                [
                    "master" if i == 0 else f"worker {i}",
                    pid,
                    f"{hwm:,.0f}",
                    f"{rss:,.0f}",
                    f"{pss:,.0f}",
                ]
            )
        total = sum(float(r[4].replace(",", "")) for r in rows)
        peak = sum(float(r[2].replace(",", "")) for r in rows)
    rows.append(["sum", "", f"{peak:,.0f}", "", f"{total:,.0f}"])
    log = (OUT / "geoapp.log").read_text()
    boots, timeouts = log.count("Booting worker"), log.count("WORKER TIMEOUT")
    print(
        f"\nstarted gunicorn ({WORKERS} workers): first tile after {first_tile:.1f} s, "
        f"first page after {first_page:.1f} s (its request {page_ms / 1000:.1f} s, "
        f"{len(html) / 1024:.0f} KB); workers booted {boots}, timed out {timeouts}"
    )
    print(table(["process", "pid", "peak RSS MB (VmHWM)", "RSS now MB", "PSS MB"], rows))
    print("\ngoals:")
    print(
        f"   {goal(total < 2048)}: server memory < 2 GB (PSS sum {total:,.0f} MB; the RSS sum "
        f"{peak:,.0f} MB counts the pages the workers share with the master twice)"
    )
    print(f"   {load_note(before)}")


if __name__ == "__main__":
    main()
