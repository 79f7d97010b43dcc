"""Storage behind one small interface: ``Store`` (see ``base.py``) and its backends."""

from geoapp.stores.base import Query, Store
from geoapp.stores.changes import Change, ChangeRefused, ChangeSet
from geoapp.stores.geopackage import GeoPackageStore

__all__ = ["Change", "ChangeRefused", "ChangeSet", "GeoPackageStore", "Query", "Store"]
