"""Storage behind one small interface: ``Store`` (see ``base.py``) and its backends.

``open_store`` picks the backend from the settings: PostGIS when ``GEOAPP_DATABASE_URL`` is
set, else the GeoPackage file ``GEOAPP_DATA``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from geoapp.stores.base import Query, Store
from geoapp.stores.changes import Change, ChangeRefused, ChangeSet, TableSchema
from geoapp.stores.geopackage import GeoPackageStore

__all__ = [
    "Change",
    "ChangeRefused",
    "ChangeSet",
    "GeoPackageStore",
    "Query",
    "Store",
    "open_store",
]


def open_store(
    where: str | Path,
    schemas: Mapping[str, TableSchema],
    read_url: str | None = None,
    reads: str = "memory",
) -> Store:
    """The store at ``where``: a ``postgresql://`` URL, or the path of a GeoPackage.

    ``reads`` (PostGIS only): "memory" answers queries from each process's cache, "sql"
    from the database.
    """
    if str(where).startswith(("postgresql://", "postgres://")):
        from geoapp.stores.postgis import PostGISStore

        return PostGISStore(str(where), schemas, read_url, reads)
    return GeoPackageStore(Path(where), schemas)
