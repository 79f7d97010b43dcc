"""Produce the README screenshots: the map page as Debian's chromium draws it, saved as PNG.

    python bench/screenshot.py docs/map.png
    python bench/screenshot.py docs/map-county.png --url-path "/?county=610327"
    python bench/screenshot.py docs/phone.png --width 390 --height 844 --url-path "/?county=610327"
    python bench/screenshot.py docs/import-mapping.png --upload docs/examples/陇县.xlsx
    python bench/screenshot.py docs/dashboard.png --width 1366 --height 1450 \
        --url-path "/dashboard?county=610327&as_of=2026-09-30"
    python bench/screenshot.py docs/invest.png --width 1366 --height 768 --url-path /invest

With ``--upload`` the picture is the import page's report for that sheet (a dry run: nothing
is written), its column mapping first.

The app runs on its configured data (``create_app()``: GEOAPP_DATA, by default
data/geoapp.gpkg from ``make data``) in a local werkzeug thread, signed in with an API token
of the account ``bench`` (made in that store on first use, as the benchmarks do); nothing else
is built here. Every request that leaves the app is blocked, so the picture is what an offline
intranet user sees.
Needs /usr/bin/chromium and a CJK font (fonts-wqy-microhei) for readable Chinese.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
from pathlib import Path
from urllib.parse import urlsplit

from common import APP_ENV, CHROMIUM, CHROMIUM_ARGS, sign_in
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from geoapp import create_app

DRAWN = """() => window.geoapp && window.geoapp.layers.projects
    && document.querySelectorAll('path.geoapp-feature').length > 0"""
# The dashboard: its charts drawn, its small map's points and the months fetched.
DASHBOARD_DRAWN = "() => window.geoappDashboard && window.geoappDashboard.ready.then(() => true)"
INVEST_DRAWN = "() => document.querySelector('#invest-map[data-ready]')"  # the investors' pages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="PNG file to write")
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--height", type=int, default=900)
    parser.add_argument("--url-path", default="/", help="path and query, e.g. /?county=610327")
    parser.add_argument("--upload", type=Path, help="a project sheet: show its import report")
    args = parser.parse_args(argv)

    os.environ.setdefault("GEOAPP_SECRET_KEY", APP_ENV["GEOAPP_SECRET_KEY"])
    headers = sign_in({})
    server = make_server("127.0.0.1", 0, create_app(), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    blocked: list[str] = []

    def route(route, request):
        if request.url.startswith(base + "/"):
            route.continue_()
        else:
            blocked.append(request.url)
            route.abort()

    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(
                viewport={"width": args.width, "height": args.height},
                locale="zh-CN",
                extra_http_headers=headers,
            )
            page.route("**/*", route)
            if args.upload:
                response = _report_of(page, base, args.upload)
            else:
                response = page.goto(base + args.url_path)
                path = urlsplit(args.url_path).path
                ready = DRAWN
                if path == "/dashboard":
                    ready = DASHBOARD_DRAWN
                elif path.startswith("/invest"):
                    ready = INVEST_DRAWN
                page.wait_for_function(ready, timeout=30_000)
                page.wait_for_timeout(1000)  # let fitBounds' zoom animation and min_zoom settle
            args.out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(args.out))
            browser.close()
    finally:
        server.shutdown()
        server.server_close()

    print(f"{args.out}: {args.width}x{args.height} of {args.url_path} (HTTP {response.status})")
    if blocked:
        print(f"blocked {len(blocked)} request(s) leaving the app: {blocked[:3]}", file=sys.stderr)
    return 0


def _report_of(page, base: str, sheet: Path):
    page.goto(base + "/import")
    page.set_input_files("input[type=file]", str(sheet))
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="检查文件").click()
    page.locator("form.mapping").scroll_into_view_if_needed()
    return navigation.value


if __name__ == "__main__":
    raise SystemExit(main())
