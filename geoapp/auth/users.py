"""Accounts and API tokens, kept in the store like any record (change sets, with history).

A user is a row of ``users`` keyed by login name: a role, a jurisdiction (admin-code
prefixes, ``geoapp.auth.scope``) and an argon2 hash of the password. Retiring a user deletes
the row (the history keeps it; ``geoapp restore`` brings it back). API tokens are rows of
``api_tokens`` keyed by the SHA-256 of the token: the token itself is shown once and never
stored, so a copy of the database gives no one a working token.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from dataclasses import dataclass
from datetime import date

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from geoapp.auth.scope import Scope, jurisdiction_codes
from geoapp.stores.base import Query, Store
from geoapp.stores.changes import Change, ChangeSet, FieldSpec, TableSchema

USERS_TABLE = "users"
TOKENS_TABLE = "api_tokens"
ROLES = ("investor", "official", "editor", "admin")  # each may do what the ones before may
TOKEN_PREFIX = "gat_"  # so a leaked token is recognisable in logs and by secret scanners
MIN_PASSWORD = 10
_HASHER = PasswordHasher()


def users_schema() -> TableSchema:
    text = FieldSpec("text")
    fields = {
        "username": text,
        "display_name": text,
        "role": FieldSpec("enum", frozenset(ROLES)),
        "jurisdiction": text,
        "password_hash": text,
    }
    return TableSchema(USERS_TABLE, ("username",), fields, "none")


def tokens_schema() -> TableSchema:
    text = FieldSpec("text")
    fields = {"token_hash": text, "username": text, "label": text, "created": FieldSpec("date")}
    return TableSchema(TOKENS_TABLE, ("token_hash",), fields, "none")


class AccountError(ValueError):
    """A user name, role, jurisdiction or password that cannot be kept; says which."""


@dataclass(frozen=True)
class User:
    """A signed-in account, as Flask-Login sees it."""

    username: str
    display_name: str
    role: str
    jurisdiction: tuple[str, ...]
    password_hash: str

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        """Session id: the name and a piece of the hash, so a new password ends old sessions."""
        return f"{self.username}|{self.password_hash[-12:]}"

    def may(self, role: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)

    @property
    def scope(self) -> Scope:
        """Admins see everything; everyone else their jurisdiction."""
        if self.role == "admin" and not self.jurisdiction:
            return Scope.everything()
        return Scope.of(self.jurisdiction)


def find_user(store: Store, username: str) -> User | None:
    if USERS_TABLE not in store.tables() or not username:
        return None
    rows = store.read(USERS_TABLE, Query(any_of={"username": frozenset([username])}))
    if rows.empty:
        return None
    row = rows.iloc[0]
    return User(
        username=str(row["username"]),
        display_name=str(row["display_name"] or row["username"]),
        role=str(row["role"]),
        jurisdiction=tuple(c for c in str(row["jurisdiction"] or "").split(",") if c),
        password_hash=str(row["password_hash"]),
    )


def user_for_session(store: Store, session_id: str) -> User | None:
    username = session_id.partition("|")[0]
    user = find_user(store, username)
    return user if user is not None and user.get_id() == session_id else None


def check_password(store: Store, username: str, password: str) -> User | None:
    """The user when the password is right; None otherwise (a missing user costs as long)."""
    user = find_user(store, username)
    stored = user.password_hash if user is not None else _dummy_hash()
    try:
        _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    return user


@functools.cache
def _dummy_hash() -> str:
    """A hash to verify against when the user does not exist, so both cost the same; made on
    the first sign-in, not when every worker and command starts."""
    return _HASHER.hash(secrets.token_hex(16))


def add_user(
    store: Store, username: str, password: str, role: str, jurisdiction: str, author: str
) -> User:
    """Create an account; raises AccountError naming the bad value."""
    values = _checked(username, role, jurisdiction)
    values["password_hash"] = _hashed(password)
    values["display_name"] = username
    store.apply(ChangeSet(author, [Change("insert", USERS_TABLE, (username,), values)]))
    return find_user(store, username)


def set_password(store: Store, username: str, password: str, author: str) -> None:
    _existing(store, username)
    values = {"password_hash": _hashed(password)}
    store.apply(ChangeSet(author, [Change("update", USERS_TABLE, (username,), values)]))


def set_role(store: Store, username: str, role: str, jurisdiction: str, author: str) -> None:
    _existing(store, username)
    values = _checked(username, role, jurisdiction)
    values.pop("username")
    store.apply(ChangeSet(author, [Change("update", USERS_TABLE, (username,), values)]))


def retire_user(store: Store, username: str, author: str) -> None:
    """Delete the account (kept in history) and every token it had."""
    _existing(store, username)
    changes = [Change("delete", USERS_TABLE, (username,))]
    changes += [Change("delete", TOKENS_TABLE, (h,)) for h in _token_hashes(store, username)]
    store.apply(ChangeSet(author, changes))


def new_token(store: Store, username: str, label: str, author: str) -> str:
    """A new API token for the user: returned once, kept only as its hash."""
    _existing(store, username)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    values = {"username": username, "label": label, "created": date.today()}
    key = (token_hash(token),)
    store.apply(ChangeSet(author, [Change("insert", TOKENS_TABLE, key, values)]))
    return token


def user_for_token(store: Store, token: str) -> User | None:
    if TOKENS_TABLE not in store.tables() or not token.startswith(TOKEN_PREFIX):
        return None
    query = Query(any_of={"token_hash": frozenset([token_hash(token)])})
    rows = store.read(TOKENS_TABLE, query)
    return None if rows.empty else find_user(store, str(rows.iloc[0]["username"]))


def has_admin(store: Store) -> bool:
    if USERS_TABLE not in store.tables():
        return False
    return not store.read(USERS_TABLE, Query(any_of={"role": frozenset(["admin"])})).empty


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _token_hashes(store: Store, username: str) -> list[str]:
    if TOKENS_TABLE not in store.tables():
        return []
    rows = store.read(TOKENS_TABLE, Query(any_of={"username": frozenset([username])}))
    return [str(h) for h in rows["token_hash"]]


def _existing(store: Store, username: str) -> User:
    user = find_user(store, username)
    if user is None:
        raise AccountError(f"no user {username!r}")
    return user


def _checked(username: str, role: str, jurisdiction: str) -> dict[str, str]:
    if not username or len(username) > 64 or not username.isprintable() or "|" in username:
        raise AccountError(f"user name {username!r}: 1–64 printable characters, no '|'")
    if role not in ROLES:
        raise AccountError(f"role {role!r}: one of {', '.join(ROLES)}")
    try:
        codes = jurisdiction_codes(jurisdiction)
    except ValueError as bad:
        raise AccountError(
            f"jurisdiction code {bad}: a province (21), city (2114) or county (211421) code"
        ) from None
    if role in ("official", "editor") and not codes:
        raise AccountError(f"role {role} needs a jurisdiction (admin codes, e.g. 610327)")
    return {"username": username, "role": role, "jurisdiction": ",".join(codes)}


def _hashed(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password needs at least {MIN_PASSWORD} characters")
    return _HASHER.hash(password)
