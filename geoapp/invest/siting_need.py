"""What an investor asks the siting search for, read from the URL and checked field by field.

The search is a GET form, so a shortlist is a link anyone can open again and get the same
ranking. Each value is read as people type it (``1,000``, full-width digits, spaces); what
cannot be (not a number, negative, a minimum above its maximum, an industry no park or land use
names) is refused beside its field in the visitor's language, and nothing is ranked.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Collection, Mapping
from dataclasses import dataclass, fields

from flask_babel import gettext as _

KINDS = ("land", "factory")  # 土地 (available parcels, standard land) or 标准化厂房
MAX_TEXT = 40
# field → (least, greatest): areas in 亩 or m², money in 万元 (price in 万元/亩, rent in
# 元/m²·月), power in kVA, water in 吨/日, distances in km
RANGES: dict[str, tuple[float, float]] = {
    "area_min": (0, 100_000),
    "area_max": (0, 100_000),
    "floor_min": (0, 10_000_000),
    "floor_max": (0, 10_000_000),
    "price_max": (0, 100_000),
    "budget": (0, 100_000_000),
    "rent_max": (0, 10_000),
    "power_kva": (0, 10_000_000),
    "water": (0, 10_000_000),
    "highway": (0.1, 2_000),
    "railway": (0.1, 2_000),
    "seat": (0.1, 2_000),
    "airport": (0.1, 2_000),
    "invest_wan": (0, 100_000_000),
    "tax_wan": (0, 10_000_000),
}
PAIRS = (("area_min", "area_max"), ("floor_min", "floor_max"))
FLAGS = ("gas", "steam")


@dataclass(frozen=True)
class Need:
    kind: str = "land"
    industry: str = ""
    gas: bool = False
    steam: bool = False
    area_min: float | None = None
    area_max: float | None = None
    floor_min: float | None = None
    floor_max: float | None = None
    price_max: float | None = None
    budget: float | None = None
    rent_max: float | None = None
    power_kva: float | None = None
    water: float | None = None
    highway: float | None = None
    railway: float | None = None
    seat: float | None = None
    airport: float | None = None
    invest_wan: float | None = None
    tax_wan: float | None = None

    def asked(self) -> bool:
        """Whether anything beyond the kind of site was asked."""
        return bool(self.industry or self.gas or self.steam) or any(
            getattr(self, name) is not None for name in RANGES
        )

    def as_args(self) -> dict[str, str]:
        """The URL arguments that ask for this again (empty ones left out)."""
        args = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None or value == "" or value is False:
                continue
            args[f.name] = "1" if value is True else _plain(value)
        return args


def parse_need(args: Mapping[str, str], industries: Collection[str]) -> tuple[Need, dict[str, str]]:
    """The need the arguments describe and, per field, why its value was refused."""
    errors: dict[str, str] = {}
    values: dict = {}
    kind = (args.get("kind") or "land").strip()
    if kind not in KINDS:
        errors["kind"] = _("Choose land or factory space.")
    values["kind"] = kind if kind in KINDS else "land"
    industry = " ".join(unicodedata.normalize("NFKC", args.get("industry") or "").split())
    if len(industry) > MAX_TEXT:
        errors["industry"] = _("At most %(n)d characters.", n=MAX_TEXT)
    elif industry and industry not in industries:
        errors["industry"] = _(
            "No park here names the industry “%(name)s”: choose one from the list.",
            name=industry,
        )
    values["industry"] = industry
    for flag in FLAGS:
        values[flag] = (args.get(flag) or "") not in ("", "0")
    for name, (least, most) in RANGES.items():
        number, error = _number(args.get(name), least, most)
        values[name] = number
        if error:
            errors[name] = error
    for low, high in PAIRS:
        if values[low] is not None and values[high] is not None and values[low] > values[high]:
            errors[high] = _("At least the minimum (%(min)s).", min=_plain(values[low]))
    return Need(**values), errors


def _number(text: str | None, least: float, most: float) -> tuple[float | None, str | None]:
    """A number as people write it (``1,000``, ``１２``, ``50 ``), or why it is not one."""
    cleaned = unicodedata.normalize("NFKC", text or "").replace(",", "").strip()
    if not cleaned:
        return None, None
    try:
        value = float(cleaned)
    except ValueError:
        return None, _("Enter a number, e.g. 50.")
    if not math.isfinite(value) or value < least:
        return None, _("At least %(least)s.", least=_plain(least))
    if value > most:
        return None, _("At most %(most)s.", most=_plain(most))
    return value, None


def _plain(value: float | str) -> str:
    """``50.0`` → ``50``: numbers as a person would type them back."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
