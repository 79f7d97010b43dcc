"""A throw-away PostgreSQL + PostGIS cluster for the tests: Debian's server binaries, a
temporary folder, a free port on loopback; every test gets a database of its own, copied from
a template that already has the PostGIS extension. No mock: the real server, stopped and
removed afterwards.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import psycopg

USER = "geoapp"


def _binaries() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version)
    if not found:
        raise RuntimeError(
            "PostgreSQL's server is not installed: `make test` installs Debian's postgresql "
            "and postgis (apt-get install postgresql postgis)"
        )
    return Path(found[-1]).parent


def _version(path: str) -> int:
    return int(Path(path).parent.parent.name)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Cluster:
    """One running server; ``database()`` makes a fresh PostGIS database and its URL."""

    def __init__(self) -> None:
        self.bin = _binaries()
        self.folder = Path(tempfile.mkdtemp(prefix="geoapp-pg-"))
        self._names = itertools.count()
        as_postgres = os.geteuid() == 0  # initdb refuses to run as root
        if as_postgres:
            shutil.chown(self.folder, "postgres")
        self._prefix = ["runuser", "-u", "postgres", "--"] if as_postgres else []
        self._run("initdb", "-D", str(self.folder / "data"), "-A", "trust", "-U", USER)
        self.port = self._start()
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute("CREATE DATABASE template_geoapp")
        with psycopg.connect(self.url("template_geoapp"), autocommit=True) as conn:
            conn.execute("CREATE EXTENSION postgis")

    def _start(self, tries: int = 5) -> int:
        """Start the server on a free port; its port. The port is probed before the server
        binds it, so another process (a parallel test worker's cluster or server) may take it
        in between: the server then fails to start, and another port is tried."""
        log = str(self.folder / "log")
        for attempt in range(1, tries + 1):
            port = _free_port()
            options = (
                f"-p {port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c max_connections=200 -c synchronous_commit=off"
            )
            start = ["-D", str(self.folder / "data"), "-o", options, "-l", log, "-w", "start"]
            try:
                self._run("pg_ctl", *start)
            except subprocess.CalledProcessError:
                if attempt < tries:
                    continue
                raise
            return port

    def _run(self, program: str, *args: str) -> None:
        subprocess.run(
            [*self._prefix, str(self.bin / program), *args],
            check=True,
            capture_output=True,
            cwd=self.folder,
        )

    def url(self, database: str) -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{database}"

    def database(self, *, postgis: bool = True) -> str:
        # Named after this cluster's folder too: the app keys things kept outside the database
        # by its URL (the default upload folder in /tmp), and a later cluster, of another run
        # or test worker, may get the same port.
        name = f"test_{self.folder.name.removeprefix('geoapp-pg-')}_{next(self._names)}".lower()
        template = "template_geoapp" if postgis else "template1"
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
        return self.url(name)

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.folder / "data"), "-m", "immediate", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)
