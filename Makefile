# geoapp: `make run` serves the demo on http://127.0.0.1:5000, `make test` runs every test.
# Both set up what they need first: a virtualenv, the npm assets, translations, demo data.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
WORKERS ?= 2
THREADS ?= 4
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
VENDOR := geoapp/static/vendor
MO := geoapp/translations/zh/LC_MESSAGES/messages.mo
# The app signs sessions with GEOAPP_SECRET_KEY; unless it is set, the key made once here.
SECRET = GEOAPP_SECRET_KEY=$${GEOAPP_SECRET_KEY:-$$(cat instance/secret_key)}

.PHONY: run test setup assets translations data browser gdal postgis memcached fonts poppler lint format check screenshot

# Arrays of 128 KB and more are mapped, not taken from the heap, so the copies that edits
# make of big columns go back to the system when dropped (bench/README.md, write path).
# --timeout restarts a worker whose main loop hangs; a slow request is stopped by the app's
# own budget (GEOAPP_REQUEST_SECONDS). Request lines up to 8 KB (gunicorn's most); larger
# filters and drawn areas go by POST.
run: setup data fonts instance/secret_key
	$(BIN)/geoapp users first-admin --password-file instance/admin-password
	$(BIN)/geoapp warnings refresh
	$(SECRET) GEOAPP_WARM_UP=1 MALLOC_MMAP_THRESHOLD_=131072 $(BIN)/gunicorn --workers $(WORKERS) --threads $(THREADS) \
		--worker-class gthread --preload --timeout 60 --graceful-timeout 20 \
		--limit-request-line 8190 --bind $(HOST):$(PORT) --access-logfile - \
		'geoapp:create_app()'

# Sessions stay valid across restarts and workers with one key, made once, readable by its owner.
instance/secret_key:
	mkdir -p instance && umask 077 && $(PYTHON) -c 'import secrets; print(secrets.token_hex(32))' > $@

# The tests run in parallel, one process per core (pytest-xdist; TEST_WORKERS=0 runs them in
# one process): each test file stays on one worker (--dist loadfile in pyproject.toml).
TEST_WORKERS ?= auto
test: setup browser gdal postgis memcached fonts poppler
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -n $(TEST_WORKERS) --durations=25

setup: $(VENV)/.installed assets translations

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

assets: $(VENDOR)/leaflet/leaflet.js

$(VENDOR)/leaflet/leaflet.js: package.json package-lock.json
	command -v npm >/dev/null || ($(SUDO) apt-get update && $(SUDO) apt-get install -y npm)
	npm ci --no-audit --no-fund
	rm -rf $(VENDOR) && mkdir -p $(VENDOR)/supercluster $(VENDOR)/leaflet.vectorgrid
	mkdir -p $(VENDOR)/leaflet
	cp -r node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css \
		node_modules/leaflet/dist/images $(VENDOR)/leaflet/
	cp node_modules/leaflet.vectorgrid/dist/Leaflet.VectorGrid.bundled.min.js \
		$(VENDOR)/leaflet.vectorgrid/
	cp node_modules/supercluster/dist/supercluster.min.js $(VENDOR)/supercluster/
	mkdir -p $(VENDOR)/leaflet-draw
	cp -r node_modules/leaflet-draw/dist/leaflet.draw.js node_modules/leaflet-draw/dist/leaflet.draw.css \
		node_modules/leaflet-draw/dist/images $(VENDOR)/leaflet-draw/
	mkdir -p $(VENDOR)/leaflet-geoman
	cp node_modules/@geoman-io/leaflet-geoman-free/dist/leaflet-geoman.min.js \
		node_modules/@geoman-io/leaflet-geoman-free/dist/leaflet-geoman.css $(VENDOR)/leaflet-geoman/
	mkdir -p $(VENDOR)/echarts
	cp node_modules/echarts/dist/echarts.common.min.js node_modules/echarts/LICENSE $(VENDOR)/echarts/

translations: $(MO)

$(MO): geoapp/translations/zh/LC_MESSAGES/messages.po $(VENV)/.installed
	$(BIN)/pybabel compile --statistics -d geoapp/translations

data: $(VENV)/.installed
	$(BIN)/geoapp demo --if-missing

# Debian's chromium drives the page tests (Playwright never downloads a browser of its own).
browser:
	command -v chromium >/dev/null || ($(SUDO) apt-get update && $(SUDO) apt-get install -y chromium)

# PostgreSQL + PostGIS from Debian: the tests start a throw-away cluster of their own.
postgis:
	ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1 || \
		($(SUDO) apt-get update && $(SUDO) apt-get install -y postgresql postgis)

# Sign-in and write limits shared by several app servers (GEOAPP_RATELIMIT_STORAGE) in the tests.
memcached:
	command -v memcached >/dev/null || ($(SUDO) apt-get update && $(SUDO) apt-get install -y memcached)

# The wall map and the parcel sheet are drawn on the server in a Chinese font found by its
# path (geoapp/outputs/fonts.py; without one every character would print as a box).
fonts:
	ls /usr/share/fonts/truetype/wqy/wqy-microhei.ttc >/dev/null 2>&1 || \
		($(SUDO) apt-get update && $(SUDO) apt-get install -y fonts-wqy-microhei)

# The tests read the PDFs as a person would: pdftotext, pdfinfo, pdftoppm.
poppler:
	command -v pdftotext >/dev/null || ($(SUDO) apt-get update && $(SUDO) apt-get install -y poppler-utils)

# GDAL's OAPIF client (ogrinfo) reads our OGC API in the tests, as QGIS would.
gdal:
	command -v ogrinfo >/dev/null || ($(SUDO) apt-get update && $(SUDO) apt-get install -y gdal-bin)

lint: setup
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .

check: setup data instance/secret_key
	$(SECRET) $(BIN)/geoapp check

# Regenerate the README screenshots (with Debian's CJK font, fonts-wqy-microhei).
screenshot: setup data browser fonts
	$(BIN)/python bench/screenshot.py docs/map.png
	$(BIN)/python bench/screenshot.py docs/dashboard.png --width 1366 --height 1450 \
		--url-path "/dashboard?county=610327&as_of=2026-09-30"

# Benchmarks (bench/README.md): paint, query, tiles, memory. Sizes from BENCH_* variables;
# BENCH_SMALL=1 make bench is a quick run on small data. Needs wrk and SpatiaLite from Debian.
.PHONY: bench
bench: setup browser
	$(BIN)/pip install --quiet -e '.[bench]'
	command -v wrk >/dev/null || ($(SUDO) apt-get update && $(SUDO) apt-get install -y wrk)
	dpkg -s libsqlite3-mod-spatialite >/dev/null 2>&1 || \
		($(SUDO) apt-get update && $(SUDO) apt-get install -y libsqlite3-mod-spatialite)
	$(BIN)/python bench/paint.py
	$(BIN)/python bench/overview.py
	$(BIN)/python bench/query.py
	$(BIN)/python bench/tiles.py
	$(BIN)/python bench/memory.py
	$(BIN)/python bench/imports.py
	$(BIN)/python bench/cql2.py
	$(BIN)/python bench/writes.py
	$(BIN)/python bench/wallmap.py
	$(BIN)/python bench/siting.py
	$(MAKE) postgis && $(BIN)/python bench/backends.py && $(BIN)/python bench/replica.py
