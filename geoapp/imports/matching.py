"""Rows of a sheet without 项目代码 (a county's own list), matched to stored projects by name.

A row is matched by its county and its normalised name (NFKC, no spaces or brackets, lower
case: ``陇县 年产8万吨乳制品项目（一期）`` = ``陇县年产8万吨乳制品项目一期``). One stored project
of that county with that name: the row updates it (reported). Several: an error listing their
codes. None: a new project with the code ``<county code>-N<8 hex digits>``, the start of the
SHA-1 of ``<county code>|<normalised name>`` — the same sheet imported again gets the same codes,
so it updates instead of doubling. A row without a code needs its county (a county column, a
county name, or coordinates inside a county).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable

import geopandas as gpd
import numpy as np

from geoapp.imports.areas import Areas

_NOISE = re.compile(r"[\s()（）\[\]【】〔〕<>《》·・\-—_/\\,，、.。:：;；\"'“”‘’]")


def normalised_name(name: object) -> str:
    return _NOISE.sub("", unicodedata.normalize("NFKC", str(name))).lower()


def new_code(county: str, name: object) -> str:
    digest = hashlib.sha1(f"{county}|{normalised_name(name)}".encode()).hexdigest()
    return f"{county}-N{digest[:8].upper()}"


Say = Callable[[int, str, str, str], None]  # row, zh, en, severity


def coded(rows: list[dict], stored: gpd.GeoDataFrame, areas: Areas, say: Say) -> list[dict]:
    """Every row with a project code: its own, a stored project's (matched by county and name)
    or a new one; rows that cannot be matched are reported and left out."""
    by_name: dict[tuple[str, str], list[str]] = {}
    for code, county, name in zip(
        stored["project_id"], stored["county_code"], stored["name"], strict=True
    ):
        by_name.setdefault((str(county), normalised_name(name)), []).append(str(code))
    uncoded = [r for r in rows if not r.get("project_id")]
    _counties_from_points(uncoded, areas)
    seen: dict[tuple[str, str], list[dict]] = {}
    for row in uncoded:
        if row.get("county_code"):
            seen.setdefault((row["county_code"], normalised_name(row["name"])), []).append(row)
    bad = {id(r) for group in seen.values() if len(group) > 1 for r in group}
    for group in (g for g in seen.values() if len(g) > 1):
        numbers = ", ".join(str(r["_row"]) for r in group)
        for row in group:
            say(
                row["_row"],
                f"没有项目代码，且同一县区内项目名称“{row['name']}”出现在第 {numbers} 行",
                f"no project code, and the name “{row['name']}” is on rows {numbers} of one county",
                "error",
            )
    kept = []
    for row in rows:
        if row.get("project_id") or (id(row) not in bad and _give_code(row, by_name, say)):
            kept.append(row)
    return kept


def _give_code(row: dict, by_name: dict[tuple[str, str], list[str]], say: Say) -> bool:
    county = row.get("county_code")
    if not county:
        say(
            row["_row"],
            "没有项目代码，也无法确定所属县区（请填写项目代码、所属区县或经纬度）",
            "no project code and no county to match the name in: add a code, a county or "
            "coordinates",
            "error",
        )
        return False
    found = by_name.get((county, normalised_name(row["name"])), [])
    if len(found) > 1:
        codes = ", ".join(found)
        say(
            row["_row"],
            f"项目名称“{row['name']}”对应多个已有项目：{codes}，请填写项目代码",
            f"the name “{row['name']}” fits several stored projects: {codes}; add the code",
            "error",
        )
        return False
    if found:
        row["project_id"] = found[0]
        say(
            row["_row"],
            f"按县区和项目名称对应到已有项目 {found[0]}",
            f"matched by county and name to the stored project {found[0]}",
            "warning",
        )
        return True
    row["project_id"] = new_code(county, row["name"])
    say(
        row["_row"],
        f"新项目，已生成项目代码 {row['project_id']}",
        f"a new project, given the code {row['project_id']}",
        "warning",
    )
    return True


def _counties_from_points(rows: list[dict], areas: Areas) -> None:
    placed = [r for r in rows if not r.get("county_code") and r.get("geometry") is not None]
    if placed:
        codes, _ = areas.located(np.array([r["geometry"] for r in placed], dtype=object))
        for row, code in zip(placed, codes, strict=True):
            if code:
                row["county_code"] = code
