"""Reading what the map page hands to the browser, as tests need it."""

from __future__ import annotations

import json
import re

_CALL = re.compile(r"geoapp\.layer\(\s*\w+,\s*")
_COMMA = re.compile(r"\s*,\s*")


def page_layers(html: str) -> dict[str, tuple[dict, dict | None]]:
    """Each layer's spec and inline GeoJSON (None when fetched later) from geoapp.layer(...)."""
    decoder = json.JSONDecoder()
    found = {}
    for match in _CALL.finditer(html):
        spec, end = decoder.raw_decode(html, match.end())
        data, _ = decoder.raw_decode(html, _COMMA.match(html, end).end())
        found[spec["id"]] = (spec, data)
    return found


def layer_data(html: str, layer_id: str) -> dict:
    """The inline GeoJSON of one layer."""
    spec, data = page_layers(html)[layer_id]
    assert data is not None, f"layer {layer_id} is not inline ({spec['mode']})"
    return data
