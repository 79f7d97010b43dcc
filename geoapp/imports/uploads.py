"""Where uploads wait between their report and "apply", and the report of each, kept.

One folder of uploads per data file (or ``GEOAPP_UPLOADS``), shared by every app process: a
report shown by one worker is applied by another. Each upload is a folder named by a random
token (24 hex digits) holding the file, what the form said, and its prepared result, stored
once per language and column mapping:

- ``prepared-<key>.pickle.gz``: the whole :class:`Prepared` (rows, problems, the sheet as
  read), for "apply" and the XLSX report;
- ``page-<key>.pickle``: what the report page shows — a :class:`Report` of figures and
  columns, and the problems in pages of ``per_page``, each page compressed and readable alone
  (a sheet of 200,000 bad rows shows its page 7 without loading the rest).

Nothing of an upload outlives a refusal (the view removes the folder at once); an upload not
applied within ``GEOAPP_UPLOAD_HOURS`` is removed at the next upload or when asked for; and
when the folder holds more than ``GEOAPP_UPLOADS_MB``, the oldest waiting uploads go first.
Files are written under a temporary name and renamed, so two processes computing the same
report at once each leave a whole file, and two uploads never share a folder.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import os
import pickle
import re
import shutil
import stat
import struct
import tempfile
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from geoapp.imports.mapping import ColumnPlan
from geoapp.imports.problems import Problem
from geoapp.imports.scope import Scope
from geoapp.imports.service import Prepared
from geoapp.layers import LayerDef

TOKEN = re.compile(r"[0-9a-f]{24}")
_TRAILER = struct.Struct("<QQ")  # where the page file's Report starts, and its length


@dataclass
class Report:
    """What the report page shows of a prepared upload, without its rows."""

    kind: str
    layer: LayerDef
    read: int
    valid: int
    added: int
    updated: int
    errors: int
    warnings: int
    problems: int
    columns: list[ColumnPlan] = field(default_factory=list)
    layout: str = ""
    scope: Scope | None = None
    pages: list[tuple[int, int]] = field(default_factory=list)  # each page: offset, length

    @classmethod
    def of(cls, prepared: Prepared) -> Report:
        scope = prepared.scope
        if scope is not None:  # the page lists codes and names, never the shapes
            missing = pd.DataFrame(scope.missing[["project_id", "name"]])
            scope = replace(scope, missing=missing)
        return cls(
            kind=prepared.kind,
            layer=prepared.layer,
            read=prepared.read,
            valid=len(prepared.frame),
            added=prepared.added,
            updated=prepared.updated,
            errors=len(prepared.errors),
            warnings=len(prepared.warnings),
            problems=len(prepared.problems),
            columns=list(prepared.columns),
            layout=prepared.layout,
            scope=scope,
        )


class Uploads:
    """The folder of waiting uploads: ``root``, created on the first upload only."""

    def __init__(self, root: Path, hours: int, space_mb: int, *, private: bool = False):
        self.root, self.hours, self.space = root, hours, space_mb * 1024 * 1024
        self.private = private  # in a folder others can write to (/tmp): must be ours alone

    # --- folders ---------------------------------------------------------------------------

    def create(self) -> tuple[str, Path]:
        """A new, empty upload folder and its token."""
        self._make_root()
        while True:
            token = os.urandom(12).hex()
            folder = self.root / token
            try:
                folder.mkdir(mode=0o700)
            except FileExistsError:  # pragma: no cover - 96 random bits
                continue
            return token, folder

    def folder(self, token: str) -> Path | None:
        """The folder of a waiting upload, or None (unknown, malformed or expired token). Never
        creates anything: a request for a token that is not there leaves no trace."""
        if not TOKEN.fullmatch(token):
            return None
        folder = self.root / token
        if not folder.is_dir():
            return None
        if self._age(folder) > self.hours * 3600:
            self.remove(folder)
            return None
        return folder

    def remove(self, folder: Path) -> None:
        shutil.rmtree(folder, ignore_errors=True)

    def expire(self) -> None:
        """Remove the uploads not applied within ``hours`` (their folder unchanged so long)."""
        for folder in self._folders():
            if self._age(folder) > self.hours * 3600:
                self.remove(folder)

    def make_room(self, keep: Path) -> None:
        """While the uploads take more than the space allowed, remove the oldest whose report
        is complete (one still being checked by another process is left alone), never
        ``keep``."""
        sizes = {folder: _size(folder) for folder in self._folders()}
        total = sum(sizes.values())
        if total <= self.space:
            return
        waiting = sorted(
            (self._mtime(folder), folder)
            for folder in sizes
            if folder != keep and any(folder.glob("page-*.pickle"))
        )
        for _mtime, folder in waiting:
            if total <= self.space:
                break
            self.remove(folder)
            total -= sizes[folder]

    def _folders(self) -> list[Path]:
        try:
            entries = list(os.scandir(self.root))
        except FileNotFoundError:
            return []
        return [
            Path(entry.path)
            for entry in entries
            if TOKEN.fullmatch(entry.name) and entry.is_dir(follow_symlinks=False)
        ]

    def _age(self, folder: Path) -> float:
        return time.time() - self._mtime(folder)

    @staticmethod
    def _mtime(folder: Path) -> float:
        try:
            return folder.stat().st_mtime
        except OSError:
            return 0.0

    def _make_root(self) -> None:
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not self.private:
            return
        info = self.root.lstat()
        if (
            not stat.S_ISDIR(info.st_mode)
            or info.st_uid != os.getuid()
            or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
        ):
            raise PermissionError(
                f"{self.root} is not a folder of this user alone: remove it, or set "
                "GEOAPP_UPLOADS to a folder of the app's own"
            )

    # --- the stored report -------------------------------------------------------------------

    @staticmethod
    def key(folder: Path, locale: str) -> str:
        """The stored report's name part: the language and the column mapping it was made with
        (a mapping changed by one user never meets a report computed with the old one)."""
        try:
            mapping = (folder / "mapping.json").read_bytes()
        except FileNotFoundError:
            mapping = b""
        return f"{locale}-{hashlib.sha1(mapping).hexdigest()[:12]}"

    def store(self, folder: Path, key: str, prepared: Prepared, per_page: int) -> None:
        """Keep ``prepared`` whole and as report pages, compressed (a sheet's repeated cells
        and reasons shrink 20–40 times: 75 MB of pickled rows to 2 MB, in 0.15 s). The page
        file is written last: its presence says the upload's report is complete."""
        with (
            _written(folder / f"prepared-{key}.pickle.gz") as sink,
            gzip.GzipFile(fileobj=sink, mode="wb", compresslevel=1, mtime=0) as packed,
        ):
            pickle.dump(prepared, packed, protocol=pickle.HIGHEST_PROTOCOL)
        report = Report.of(prepared)
        with _written(folder / f"page-{key}.pickle") as sink:
            for start in range(0, len(prepared.problems), per_page):
                report.pages.append(_put(sink, prepared.problems[start : start + per_page]))
            at, length = _put(sink, report)
            sink.write(_TRAILER.pack(at, length))

    def forget(self, folder: Path) -> None:
        """Drop the stored reports (the mapping changed: they are computed again)."""
        for stored in [*folder.glob("page-*.pickle"), *folder.glob("prepared-*.pickle.gz")]:
            stored.unlink(missing_ok=True)

    def page(self, folder: Path, key: str, page: int) -> tuple[Report, list[Problem]] | None:
        """The stored report and its problems of ``page`` (1-based, clamped), or None when it
        is not stored (or was written by another version of the app)."""
        try:
            with (folder / f"page-{key}.pickle").open("rb") as source:
                source.seek(-_TRAILER.size, os.SEEK_END)
                report = _get(source, *_TRAILER.unpack(source.read(_TRAILER.size)), Report)
                if not report.pages:
                    return report, []
                chosen = report.pages[min(max(page, 1), len(report.pages)) - 1]
                return report, _get(source, *chosen, list)
        except _UNREADABLE:
            return None

    def prepared(self, folder: Path, key: str) -> Prepared | None:
        try:
            with gzip.open(folder / f"prepared-{key}.pickle.gz", "rb") as source:
                value = pickle.load(source)  # written by this app, in a folder of its own
        except _UNREADABLE:
            return None
        return value if isinstance(value, Prepared) else None


_UNREADABLE = (
    OSError,
    EOFError,
    ValueError,
    TypeError,
    AttributeError,
    ImportError,
    IndexError,
    zlib.error,
    pickle.UnpicklingError,
)


def _put(sink: Any, value: Any) -> tuple[int, int]:
    """Write one compressed pickle; (offset, length) to read it back alone."""
    data = zlib.compress(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL), 1)
    at = sink.tell()
    sink.write(data)
    return at, len(data)


def _get(source: Any, at: int, length: int, kind: type) -> Any:
    """The pickle at ``at``; anything but a ``kind`` is a file of another version."""
    source.seek(at)
    value = pickle.loads(zlib.decompress(source.read(length)))  # our own file
    if not isinstance(value, kind):
        raise TypeError(f"{type(value).__name__}, not {kind.__name__}")
    return value


@contextlib.contextmanager
def _written(path: Path) -> Iterator[Any]:
    """A file written whole or not at all: a temporary name in the same folder, renamed."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as sink:
            yield sink
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _size(folder: Path) -> int:
    total = 0
    for base, _dirs, files in os.walk(folder):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(base, name)).st_size
    return total
