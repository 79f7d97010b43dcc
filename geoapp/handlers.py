"""One place that turns errors into responses: JSON for the API, a page for people."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from geoapp.errors import GeoappError

JSON_BLUEPRINTS = ("api", "rates", "tiles", "basemap", "ogc", "public_ogc", "export", "prints")
# Under these paths even a URL no route knows (404, 405) answers JSON: clients, not people.
MACHINE_PATHS = ("/api/", "/ogc", "/public/ogc", "/tiles/", "/public/tiles/", "/basemap/")


def wants_json() -> bool:
    """Machines (API, tiles) get JSON errors; people get a page."""
    return request.blueprint in JSON_BLUEPRINTS or request.path.startswith(MACHINE_PATHS)


def handle_geoapp_error(error: GeoappError):
    if wants_json():
        return jsonify(error.to_json()), error.status
    # str(): a lazy message counts as safe HTML to Jinja (it has __html__), and may repeat
    # what the visitor wrote (a parameter's name, a value): as text it is escaped.
    message = str(error.message)
    return render_template("error.html", message=message, status=error.status), error.status


def handle_http_error(error: HTTPException):
    largest = (request.max_content_length or 0) // (1024 * 1024)  # this route's limit
    messages = {
        404: _("Page not found."),
        413: _("The file is larger than this server accepts (at most %(mb)s MB).", mb=largest),
        429: _("Too many attempts in a short time: wait a minute, then try again."),
    }
    message = messages.get(error.code) or error.description or error.name
    if wants_json():
        return jsonify({"code": error.name, "description": message}), error.code
    return render_template("error.html", message=message, status=error.code), error.code


def register_handlers(app: Flask) -> None:
    app.register_error_handler(GeoappError, handle_geoapp_error)
    app.register_error_handler(HTTPException, handle_http_error)
