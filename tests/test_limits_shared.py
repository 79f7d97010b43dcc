"""Sign-in limits hold across app servers when their counts live in memcached
(GEOAPP_RATELIMIT_STORAGE): two gunicorn servers, as `make run` starts them, answer one
guesser in turn, and together allow the limit once — not once per server or worker.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest
import requests

from tests.fixtures import free_port, gunicorn_serving

pytestmark = pytest.mark.skipif(
    shutil.which("memcached") is None, reason="memcached is installed by `make test`"
)


@contextlib.contextmanager
def memcached() -> Iterator[str]:
    """A memcached of the test's own on a free loopback port; its storage URI. The port is
    probed first, so another process may take it in between: memcached then exits, and a
    server that answers there is only taken for ours when it tells our process id."""
    user = ["-u", "root"] if os.geteuid() == 0 else []  # it refuses root unless told
    for _ in range(5):
        port = free_port()
        server = subprocess.Popen(
            ["memcached", "-l", "127.0.0.1", "-p", str(port), "-U", "0", *user],
            stderr=subprocess.DEVNULL,
        )
        if _answers_as(server, port):
            break
        server.kill()
        server.wait(timeout=10)
    else:
        raise RuntimeError("memcached did not start on a free port")
    try:
        yield f"memcached://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def _answers_as(server: subprocess.Popen, port: int) -> bool:
    """True once this memcached answers on the port, False if it exits or another answers."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and server.poll() is None:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1) as s:
            s.sendall(b"stats\r\n")
            answer = b""
            while not answer.endswith(b"END\r\n"):
                answer += s.recv(4096) or b"END\r\n"
            return f"STAT pid {server.pid}\r\n".encode() in answer
        time.sleep(0.05)
    return False


def guess(base: str) -> int:
    """One wrong password sent as a browser would (the form's CSRF token first)."""
    session = requests.Session()
    page = session.get(base + "/login", timeout=10).text
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    form = {"username": "admin", "password": "a-wrong-guess", "csrf_token": token}
    return session.post(base + "/login", data=form, timeout=10).status_code


def test_two_servers_share_the_sign_in_limit(gpkg):
    with memcached() as storage:
        limits = {"GEOAPP_RATELIMIT_STORAGE": storage, "GEOAPP_LOGIN_LIMIT": "3 per minute"}
        with gunicorn_serving(gpkg, **limits) as one, gunicorn_serving(gpkg, **limits) as two:
            answers = [guess(base) for base in [one, two] * 4]
    assert answers == [401, 401, 401] + [429] * 5  # three guesses in all, then refused
