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
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from geoapp.auth.scope import Scope, jurisdiction_codes
from geoapp.stores.base import Query, Store, restore_retired
from geoapp.stores.changes import Change, ChangeSet, FieldSpec, HistoryEntry, TableSchema

USERS_TABLE = "users"
TOKENS_TABLE = "api_tokens"
ROLES = ("investor", "official", "editor", "admin")  # each may do what the ones before may
TOKEN_PREFIX = "gat_"  # so a leaked token is recognisable in logs and by secret scanners
MIN_PASSWORD = 10
MAX_LABEL = 100  # what a token is for: "QGIS, 规划科"
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


# Why an account change is refused, in Chinese and English; the page shows it beside ``field``.
MESSAGES: dict[str, tuple[str, str]] = {
    "username": (
        "用户名应为 1–64 个可打印字符，不含“|”",
        "a user name is 1–64 printable characters, without '|'",
    ),
    "exists": ("用户“{username}”已存在", "there is already a user {username!r}"),
    "missing": ("没有用户“{username}”", "there is no user {username!r}"),
    "not_retired": ("没有已停用的用户“{username}”", "there is no retired user {username!r}"),
    "role": ("角色“{role}”无效，应为：{roles}", "role {role!r}: one of {roles}"),
    "code": (
        "“{code}”不是行政区划代码：省 21、市 2114 或县 211421",
        "jurisdiction code {code}: a province (21), city (2114) or county (211421) code",
    ),
    "no_county": (
        "“{code}”不对应任何县区（行政区划图层中没有）",
        "jurisdiction code {code} is no county or city of the boundaries layer",
    ),
    "needs_jurisdiction": (
        "“{role}”角色需要管辖范围（行政区划代码，如 610327）",
        "role {role} needs a jurisdiction (admin codes, e.g. 610327)",
    ),
    "password": (
        "密码至少需要 {least} 个字符",
        "the password needs at least {least} characters",
    ),
    "label": ("用途说明最多 {most} 个字符", "the label has at most {most} characters"),
    "self_retire": (
        "不能停用自己的账号：请另一位管理员操作",
        "you cannot retire your own account: ask another admin",
    ),
    "self_demote": (
        "不能取消自己的管理员角色：请另一位管理员操作",
        "you cannot take the admin role from yourself: ask another admin",
    ),
}


@dataclass(frozen=True)
class Problem:
    """Why one field of an account cannot be kept: ``reason`` keys ``MESSAGES``."""

    field: str
    reason: str
    params: Mapping[str, object] = field(default_factory=dict)

    def message(self, locale: str = "zh") -> str:
        zh, en = MESSAGES[self.reason]
        return (en if locale == "en" else zh).format(**self.params)


class AccountError(ValueError):
    """An account change refused whole, with every field's problem, so a form can mark each
    field at once; ``str()`` is the English text, for the command line."""

    def __init__(self, *problems: Problem):
        self.problems = problems
        super().__init__("; ".join(p.message("en") for p in problems))

    def by_field(self, locale: str) -> dict[str, str]:
        """Field name → why, in ``locale``: what a form shows beside each field."""
        found: dict[str, str] = {}
        for problem in self.problems:
            found.setdefault(problem.field, problem.message(locale))
        return found


def _refuse(problems: list[Problem]) -> None:
    if problems:
        raise AccountError(*problems)


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
    return None if rows.empty else _user(rows.iloc[0])


def _user(row) -> User:
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
    store: Store,
    username: str,
    password: str,
    role: str,
    jurisdiction: str,
    author: str,
    counties: Collection[str] | None = None,
) -> User:
    """Create an account; raises AccountError naming the bad value. With ``counties`` (the
    admin codes of the boundaries layer), every jurisdiction code must cover one of them."""
    values, problems = _checked(username, role, jurisdiction, counties)
    if not problems and find_user(store, username) is not None:
        problems.append(Problem("username", "exists", {"username": username}))
    problems += _password_problems(password)
    _refuse(problems)
    values["password_hash"] = _HASHER.hash(password)
    values["display_name"] = username
    store.apply(ChangeSet(author, [Change("insert", USERS_TABLE, (username,), values)]))
    return find_user(store, username)


def set_password(store: Store, username: str, password: str, author: str) -> None:
    _existing(store, username)
    _refuse(_password_problems(password))
    values = {"password_hash": _HASHER.hash(password)}
    store.apply(ChangeSet(author, [Change("update", USERS_TABLE, (username,), values)]))


def set_role(
    store: Store,
    username: str,
    role: str,
    jurisdiction: str,
    author: str,
    counties: Collection[str] | None = None,
) -> None:
    """Change what an account may do and where. An admin may not demote themselves (``author``
    is who asks): the office could be left without anyone to manage accounts."""
    user = _existing(store, username)
    values, problems = _checked(username, role, jurisdiction, counties)
    if author == username and user.role == "admin" and role != "admin":
        problems.append(Problem("role", "self_demote"))
    _refuse(problems)
    values.pop("username")
    store.apply(ChangeSet(author, [Change("update", USERS_TABLE, (username,), values)]))


def retire_user(store: Store, username: str, author: str) -> None:
    """Delete the account (kept in history) and every token it had; not one's own (``author``
    is who asks), so an admin cannot lock themselves out by mistake."""
    _existing(store, username)
    if author == username:
        raise AccountError(Problem("username", "self_retire"))
    changes = [Change("delete", USERS_TABLE, (username,))]
    changes += [Change("delete", TOKENS_TABLE, (h,)) for h in _token_hashes(store, username)]
    store.apply(ChangeSet(author, changes))


def restore_user(store: Store, username: str, author: str) -> None:
    """Reopen a retired account as it was retired (its tokens stay revoked: new ones are
    issued when needed)."""
    newest = store.history(USERS_TABLE, (username,), limit=1)
    if not newest or newest[0].op != "delete":
        raise AccountError(Problem("username", "not_retired", {"username": username}))
    restore_retired(store, USERS_TABLE, (username,), author)


def new_token(store: Store, username: str, label: str, author: str) -> str:
    """A new API token for the user: returned once, kept only as its hash."""
    _existing(store, username)
    if len(label) > MAX_LABEL:
        raise AccountError(Problem("label", "label", {"most": MAX_LABEL}))
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


def all_users(store: Store) -> list[User]:
    """Every open account, by user name (for the admin's list)."""
    if USERS_TABLE not in store.tables():
        return []
    rows = store.read(USERS_TABLE).sort_values("username")
    return [_user(row) for _, row in rows.iterrows()]


def token_counts(store: Store) -> dict[str, int]:
    """How many API tokens each account has (a token nobody knows of is a risk to see)."""
    if TOKENS_TABLE not in store.tables():
        return {}
    return store.read(TOKENS_TABLE)["username"].astype(str).value_counts().to_dict()


def retired_users(store: Store, limit: int = 200) -> list[HistoryEntry]:
    """The retirement of each closed account, newest first: who closed it, when, and the
    account as it was (``before``)."""
    if USERS_TABLE not in store.tables():
        return []
    return store.retired(USERS_TABLE, limit=limit)


def generated_password() -> str:
    """A random password for a new account, shown once to whoever made it (16 characters)."""
    return secrets.token_urlsafe(12)


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
        raise AccountError(Problem("username", "missing", {"username": username}))
    return user


def _checked(
    username: str, role: str, jurisdiction: str, counties: Collection[str] | None
) -> tuple[dict[str, str], list[Problem]]:
    """The account's stored values and the problem of each field that has one. With
    ``counties``, a jurisdiction code must cover at least one of them (a typo such as
    ``610372`` would otherwise give an account that silently sees nothing)."""
    problems = []
    if not username or len(username) > 64 or not username.isprintable() or "|" in username:
        problems.append(Problem("username", "username"))
    if role not in ROLES:
        problems.append(Problem("role", "role", {"role": role, "roles": ", ".join(ROLES)}))
    try:
        codes = jurisdiction_codes(jurisdiction)
    except ValueError as bad:
        codes = ()
        problems.append(Problem("jurisdiction", "code", {"code": str(bad)}))
    else:
        problems += _jurisdiction_problems(codes, role, counties)
    return {"username": username, "role": role, "jurisdiction": ",".join(codes)}, problems


def _jurisdiction_problems(
    codes: tuple[str, ...], role: str, counties: Collection[str] | None
) -> list[Problem]:
    unknown = [c for c in codes if not any(n.startswith(c) for n in counties or ())]
    if counties is not None and unknown:
        return [Problem("jurisdiction", "no_county", {"code": unknown[0]})]
    if role in ("official", "editor") and not codes:
        return [Problem("jurisdiction", "needs_jurisdiction", {"role": role})]
    return []


def _password_problems(password: str) -> list[Problem]:
    if len(password) < MIN_PASSWORD:
        return [Problem("password", "password", {"least": MIN_PASSWORD})]
    return []
