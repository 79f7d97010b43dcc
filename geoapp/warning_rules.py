"""The rule set of the three-colour warnings, read from a TOML file (``GEOAPP_WARNINGS``,
default ``warnings.toml``) and checked at start-up: an unknown section or key, a value that
is not a number, or thresholds that cannot hold (yellow after red, points beyond 100) stop
the app with the file and the key named, rather than warn wrongly every day.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from geoapp.errors import ConfigError
from geoapp.progress import WarningRules

# section → key → (WarningRules field, least value, greatest value, whole number?)
KEYS: dict[str, dict[str, tuple[str, float, float, bool]]] = {
    "start": {
        "yellow_after_months": ("start_yellow_months", 1, 120, True),
        "red_after_months": ("start_red_months", 1, 120, True),
    },
    "investment": {
        "yellow_points": ("invest_yellow_points", 0, 100, False),
        "red_points": ("invest_red_points", 0, 100, False),
    },
}


def load_rules(path: Path) -> WarningRules:
    """The rules of ``path``; ConfigError naming the file and key of the first problem."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: the warning rules file does not exist") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as bad:
        raise ConfigError(f"{path}: not a TOML file: {bad}") from None
    values = {}
    for section, keys in data.items():
        if section not in KEYS or not isinstance(keys, dict):
            raise ConfigError(f"{path}: unknown section [{section}] (known: {', '.join(KEYS)})")
        for key, value in keys.items():
            values[KEYS[section].get(key, (None,))[0]] = _checked(path, section, key, value)
    rules = WarningRules(**values)
    _check_order(path, rules)
    return rules


def _checked(path: Path, section: str, key: str, value) -> float:
    if key not in KEYS[section]:
        known = ", ".join(KEYS[section])
        raise ConfigError(f"{path}: unknown key {section}.{key} (known: {known})")
    _, least, greatest, whole = KEYS[section][key]
    number_types = int if whole else (int, float)
    if isinstance(value, bool) or not isinstance(value, number_types):
        kind = "a whole number" if whole else "a number"
        raise ConfigError(f"{path}: {section}.{key} must be {kind}, not {value!r}")
    if not least <= value <= greatest:
        raise ConfigError(
            f"{path}: {section}.{key} must be from {least} to {greatest}, not {value}"
        )
    return value


def _check_order(path: Path, rules: WarningRules) -> None:
    if rules.start_yellow_months > rules.start_red_months:
        raise ConfigError(
            f"{path}: start.yellow_after_months ({rules.start_yellow_months}) is after "
            f"start.red_after_months ({rules.start_red_months})"
        )
    if rules.invest_yellow_points > rules.invest_red_points:
        raise ConfigError(
            f"{path}: investment.yellow_points ({rules.invest_yellow_points}) is more than "
            f"investment.red_points ({rules.invest_red_points})"
        )
