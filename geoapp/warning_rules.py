"""The rule set of the three-colour warnings, read from a TOML file (``GEOAPP_WARNINGS``,
default ``warnings.toml``) and checked at start-up: an unknown section or key, a value that
is not a number, or thresholds that cannot hold (yellow after red, points beyond 100) stop
the app with the file and the key named, rather than warn wrongly every day.
"""

from __future__ import annotations

from pathlib import Path

from geoapp.errors import ConfigError
from geoapp.progress import WarningRules
from geoapp.settings_file import checked_number, read_sections

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
    values = {}
    for section, keys in read_sections(path, "warning rules", KEYS).items():
        ranges = {key: spec[1:] for key, spec in KEYS[section].items()}
        for key, value in keys.items():
            checked = checked_number(path, section, key, value, ranges)
            values[KEYS[section][key][0]] = checked
    rules = WarningRules(**values)
    _check_order(path, rules)
    return rules


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
