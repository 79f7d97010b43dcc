"""Accounts for tests: real users and API tokens, written to the store under test.

Tests reach the officials' routes as a real user would: with an API token the app checks
against the store (``Authorization: Bearer``), or by signing in through ``/login``. The
password hash is argon2 with small costs so that making users does not slow the suite; the
app verifies it like any other (the costs are part of the hash).
"""

from __future__ import annotations

import re
import urllib.request

from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient

from geoapp.auth.users import TOKENS_TABLE, USERS_TABLE, find_user, token_hash
from geoapp.services import Services
from geoapp.stores import ChangeRefused, Store
from geoapp.stores.changes import Change, ChangeSet

PASSWORD = "test-password-1234"
PASSWORD_HASH = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)


def token_of(name: str) -> str:
    return f"gat_test-{name}"


def provision(
    store: Store, name: str = "admin", role: str = "admin", jurisdiction: str = ""
) -> str:
    """The user ``name`` (made if missing) and its API token."""
    token = token_of(name)
    if find_user(store, name) is None:
        user = {"username": name, "display_name": name, "role": role}
        user |= {"jurisdiction": jurisdiction, "password_hash": PASSWORD_HASH}
        grant = {"username": name, "label": "tests"}
        changes = [
            Change("insert", USERS_TABLE, (name,), user),
            Change("insert", TOKENS_TABLE, (token_hash(token),), grant),
        ]
        try:
            store.apply(ChangeSet("tests", changes))
        except ChangeRefused as refused:  # made by another process at the same moment
            if not all(r.reason == "exists" for r in refused.refusals):
                raise
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def signed_in(
    app: Flask, name: str = "admin", role: str = "admin", jurisdiction: str = ""
) -> FlaskClient:
    """A test client of ``app`` that sends the API token of that user."""
    services: Services = app.extensions["geoapp"]
    client = app.test_client()
    token = provision(services.store, name, role, jurisdiction)
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


def client_at(app: Flask, address: str) -> FlaskClient:
    """A client from its own address (sign-in limits count per address)."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def signed_in_by_form(app: Flask, name: str, password: str = PASSWORD) -> FlaskClient:
    """A browser-like client: signs in through /login with the form's CSRF token, and must
    send the CSRF token with every write (``csrf_of`` a page it got)."""
    client = client_at(app, f"10.0.{len(name)}.{sum(map(ord, name)) % 250}")
    token = csrf_of(client.get("/login").get_data(as_text=True))
    answer = client.post(
        "/login?next=/", data={"username": name, "password": password, "csrf_token": token}
    )
    assert answer.status_code == 302 and answer.location == "/"
    return client


def csrf_of(html: str) -> str:
    """The CSRF token a page carries (every page has it in a meta tag)."""
    return re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)


def as_admin(request: str | urllib.request.Request) -> urllib.request.Request:
    """A request to a served app (``tests.fixtures.serve``) with the test admin's token."""
    if isinstance(request, str):
        request = urllib.request.Request(request)
    request.add_header("Authorization", f"Bearer {token_of('admin')}")
    return request


_SESSION: list[dict] = []  # the test admin's session cookie, once signed in


def signed_context(browser, base_url: str, **options):
    """A browser context signed in as the test admin, the way a person does it: the first
    one fills in /login; later ones get the same session cookie (cookies ignore the port, and
    every test server shares the secret key and the admin's password)."""
    context = browser.new_context(**options)
    if _SESSION:
        context.add_cookies(_SESSION)
        return context
    page = context.new_page()
    page.goto(base_url + "/login")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    page.close()
    _SESSION.extend(c for c in context.cookies() if c["name"] == "session")
    assert _SESSION, "signing in set no session cookie"
    return context
