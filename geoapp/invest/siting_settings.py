"""The siting search's weights and scoring, read from ``GEOAPP_SITING`` (``siting.toml``).

A county tunes how much each requirement counts without touching code; the file is checked at
start-up like the warning rules (``geoapp.settings_file``), so a typo stops the app with the
file and key named instead of ranking sites on a weight nobody set.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from geoapp.settings_file import checked_number, read_sections

REQUIREMENTS = (
    "area",
    "floor",
    "industry",
    "price",
    "budget",
    "rent",
    "power",
    "gas",
    "steam",
    "water",
    "highway",
    "railway",
    "seat",
    "airport",
    "invest_intensity",
    "tax_per_mu",
)
DEFAULT_WEIGHTS = {name: 1.0 for name in REQUIREMENTS}
WEIGHT_RANGE = (0.0, 10.0, False)
SCORING_RANGES = {"tolerance": (0.01, 10.0, False), "shortlist": (1, 200, True)}


@dataclass(frozen=True)
class SitingSettings:
    weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    tolerance: float = 0.5  # a value this share beyond its limit earns nothing
    shortlist: int = 30


def load_siting(path: Path) -> SitingSettings:
    """The settings of ``path``; ConfigError naming the file and key of the first problem."""
    sections = read_sections(path, "siting settings", ("weights", "scoring"))
    weight_ranges = {name: WEIGHT_RANGE for name in REQUIREMENTS}
    weights = dict(DEFAULT_WEIGHTS)
    for key, value in sections.get("weights", {}).items():
        weights[key] = float(checked_number(path, "weights", key, value, weight_ranges))
    scoring = {
        key: checked_number(path, "scoring", key, value, SCORING_RANGES)
        for key, value in sections.get("scoring", {}).items()
    }
    return SitingSettings(weights=weights, **scoring)
