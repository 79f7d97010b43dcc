"""Settings files in TOML (the warning rules, the siting weights): read and checked the same way.

A mistake in such a file should stop the app at start-up (and ``geoapp check``) with the file
and the key named, rather than let it run on a rule nobody meant. ``read_sections`` refuses what
is not TOML and unknown sections; ``checked_number`` refuses unknown keys, non-numbers and values
out of their range.
"""

from __future__ import annotations

import tomllib
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from geoapp.errors import ConfigError


def read_sections(path: Path, what: str, known: Collection[str]) -> dict[str, dict[str, Any]]:
    """The file's sections (each a table); ConfigError naming the file otherwise."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: the {what} file does not exist") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as bad:
        raise ConfigError(f"{path}: not a TOML file: {bad}") from None
    for section, keys in data.items():
        if section not in known or not isinstance(keys, dict):
            raise ConfigError(f"{path}: unknown section [{section}] (known: {', '.join(known)})")
    return data


def checked_number(
    path: Path,
    section: str,
    key: str,
    value: Any,
    ranges: Mapping[str, tuple[float, float, bool]],
) -> float:
    """``value`` of ``section.key`` when ``ranges[key]`` (least, greatest, whole?) allows it."""
    if key not in ranges:
        raise ConfigError(f"{path}: unknown key {section}.{key} (known: {', '.join(ranges)})")
    least, greatest, whole = ranges[key]
    number_types = int if whole else (int, float)
    if isinstance(value, bool) or not isinstance(value, number_types):
        kind = "a whole number" if whole else "a number"
        raise ConfigError(f"{path}: {section}.{key} must be {kind}, not {value!r}")
    if not least <= value <= greatest:
        raise ConfigError(
            f"{path}: {section}.{key} must be from {least} to {greatest}, not {value}"
        )
    return value
