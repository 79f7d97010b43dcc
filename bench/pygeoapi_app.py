"""pygeoapi for bench/query.py, with an SQLite that can load SpatiaLite.

pygeoapi's SQLiteGPKG provider loads ``mod_spatialite`` (Debian: libsqlite3-mod-spatialite)
into Python's ``sqlite3``; this venv's Python is built without extension loading, so the
module is swapped for pysqlite3-binary before pygeoapi is imported. Used two ways:

    gunicorn --pythonpath bench pygeoapi_app:app      # the WSGI app (PYGEOAPI_CONFIG, …)
    python bench/pygeoapi_app.py openapi generate CONFIG --output-file OPENAPI
"""

from __future__ import annotations

import sys

import pysqlite3.dbapi2

sys.modules["sqlite3"] = pysqlite3.dbapi2

if __name__ == "__main__":
    from pygeoapi import cli

    sys.exit(cli())
else:
    from pygeoapi.flask_app import APP as app  # noqa: F401
