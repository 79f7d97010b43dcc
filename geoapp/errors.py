"""One error type that carries its HTTP status and a message for the user.

Messages are lazy-translated strings so the handler renders them in the request's language.
"""

from __future__ import annotations


class GeoappError(Exception):
    """An error a user can act on: ``status`` is its HTTP status, ``message`` what and where."""

    status = 400

    def __init__(self, message: str, *, param: str | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.param = param
        if status is not None:
            self.status = status

    def to_json(self) -> dict[str, object]:
        """The OGC API exception shape: code, description, and the parameter at fault."""
        body: dict[str, object] = {"code": self.code, "description": str(self.message)}
        if self.param:
            body["parameter"] = self.param
        return body

    @property
    def code(self) -> str:
        return {400: "InvalidParameterValue", 404: "NotFound"}.get(self.status, "ServerError")


class BadRequest(GeoappError):
    status = 400


class NotFound(GeoappError):
    status = 404


class StoreUnavailable(GeoappError):
    """The database went away in the middle of a request (nothing of a write was kept)."""

    status = 503

    def __init__(self) -> None:
        from flask_babel import lazy_gettext

        super().__init__(
            lazy_gettext("The database cannot be reached just now; nothing was changed. Try again.")
        )

    @property
    def code(self) -> str:
        return "ServiceUnavailable"


class ConfigError(Exception):
    """A setting, layer declaration or data file that stops the app from starting."""


class StoreError(Exception):
    """The store cannot be opened or written; the message names the path."""
