"""Key projects (重点项目) for one county, with the published counts reproduced exactly.

A county's projects fall into four groups: new and started (新开工), new and not yet started,
continuing and resumed (复工), continuing and not resumed. Each group sets the status, the
dates and the money; the warning colour and its reason come from ``geoapp.progress``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from geoapp.demo.places import ProjectCounts
from geoapp.progress import project_warning

CATEGORIES = ("industry", "infrastructure", "social", "ecology", "energy")
CATEGORY_WEIGHTS = (0.45, 0.2, 0.15, 0.08, 0.12)
CATEGORY_CODE = {
    "industry": "30",
    "infrastructure": "48",
    "social": "83",
    "ecology": "77",
    "energy": "44",
}
NAME_PARTS = {
    "industry": (
        "年产{n}万吨{p}项目",
        (
            "新型建材",
            "乳制品",
            "铝合金型材",
            "生物饲料",
            "精细化工",
            "果蔬深加工",
            "汽车零部件",
            "光伏组件",
        ),
    ),
    "infrastructure": (
        "{p}工程",
        (
            "城区道路改造",
            "污水管网提升",
            "产业园区配套道路",
            "物流仓储中心",
            "集中供热管网",
            "县城停车场",
        ),
    ),
    "social": (
        "{p}建设项目",
        ("县医院住院楼", "第二中学教学楼", "养老服务中心", "全民健身中心", "保障性租赁住房"),
    ),
    "ecology": ("{p}项目", ("河道综合治理", "矿山生态修复", "水土保持综合治理", "垃圾焚烧发电")),
    "energy": ("{n}万千瓦{p}项目", ("风电", "光伏发电", "储能电站", "生物质发电")),
}
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗"
GIVEN = ("建国", "志强", "红梅", "卫东", "海燕", "国庆", "晓明", "永红", "文军", "丽华")
UNITS = ("发改局", "工信局", "住建局", "交通局", "农业农村局", "自然资源局", "园区管委会")
OWNER_SUFFIX = ("有限公司", "股份有限公司", "投资发展有限公司", "建设集团有限公司")


START_STATE = {  # the 开复工 state each group stands for (layers/projects.toml: start_state)
    "new_started": "started",
    "new_waiting": "not_started",
    "resumed": "resumed",
    "not_resumed": "not_resumed",
}


@dataclass(frozen=True)
class Group:
    key: str  # new_started | new_waiting | resumed | not_resumed
    nature: str  # new | continuing
    started: bool
    size: int


def groups(counts: ProjectCounts) -> list[Group]:
    return [
        Group("new_started", "new", True, counts.new_started),
        Group("new_waiting", "new", False, counts.new - counts.new_started),
        Group("resumed", "continuing", True, counts.continuing_resumed),
        Group("not_resumed", "continuing", False, counts.continuing - counts.continuing_resumed),
    ]


def project_rows(
    adcode: str, short_name: str, counts: ProjectCounts, as_of: date, rng: np.random.Generator
) -> list[dict]:
    """All projects of one county (no geometry yet), group by group."""
    rows: list[dict] = []
    for group in groups(counts):
        for _ in range(group.size):
            rows.append(_project(adcode, short_name, group, as_of, len(rows) + 1, rng))
    return rows


def _project(
    adcode: str, short: str, group: Group, as_of: date, serial: int, rng: np.random.Generator
) -> dict:
    category = str(rng.choice(CATEGORIES, p=CATEGORY_WEIGHTS))
    template, products = NAME_PARTS[category]
    name = short + template.format(n=int(rng.integers(2, 50)), p=rng.choice(products))
    total = float(round(rng.lognormal(mean=9.6, sigma=0.9)))  # 万元: median ≈ 1.5 亿
    plan = float(round(total * rng.uniform(0.15, 0.5)))
    planned, actual = _dates(group, as_of, rng)
    completed = float(round(plan * rng.uniform(0.5, 1.1))) if actual else 0.0
    return {
        "project_id": f"{as_of.year - (group.nature == 'continuing')}-{adcode}-"
        f"{CATEGORY_CODE[category]}-{'01' if group.nature == 'new' else '02'}-"
        f"{serial:06d}",
        "name": name,
        "owner": short
        + str(rng.choice(("陇州", "汉江", "汾源", "丝路", "渤海", "祁连")))
        + str(rng.choice(("实业", "新能源", "建设", "农业科技")))
        + str(rng.choice(OWNER_SUFFIX)),
        "category": category,
        "level": str(rng.choice(("province", "city", "county"), p=(0.02, 0.1, 0.88))),
        "nature": group.nature,
        "status": _status(group, rng),
        "total_investment": total,
        "annual_plan": plan,
        "completed": completed,
        "planned_start": planned,
        "planned_end": date(planned.year + int(rng.integers(1, 4)), int(rng.integers(1, 13)), 28),
        "actual_start": actual,
        "leader": str(rng.choice(list(SURNAMES))) + str(rng.choice(GIVEN)),
        "unit": short + str(rng.choice(UNITS)),
        "start_state": START_STATE[group.key],
        "group": group.key,
    }


def _dates(group: Group, as_of: date, rng: np.random.Generator) -> tuple[date, date | None]:
    """Planned (re)start this year; the actual (re)start for started groups, never after as_of."""
    if group.started:
        planned = date(as_of.year, int(rng.integers(1, as_of.month + 1)), 1)
    else:  # mostly still ahead; a few overdue
        planned = date(as_of.year, int(rng.integers(max(1, as_of.month - 4), 13)), 1)
    if not group.started:
        return planned, None
    actual = planned + timedelta(days=int(rng.integers(0, 50)))
    return planned, min(actual, as_of)


def _status(group: Group, rng: np.random.Generator) -> str:
    if group.key == "new_started":
        return str(rng.choice(("construction", "completed"), p=(0.9, 0.1)))
    if group.key == "resumed":
        return str(
            rng.choice(
                ("construction", "completed", "production", "output"), p=(0.7, 0.15, 0.1, 0.05)
            )
        )
    if group.key == "new_waiting":
        return str(rng.choice(("preparatory", "reserve"), p=(0.6, 0.4)))
    return "construction"  # continuing, not yet resumed this year


def add_warnings(rows: list[dict], as_of: date) -> None:
    """Colour and reason of each project under the default rule set."""
    for row in rows:
        row["warning"], row["warning_reason"] = project_warning(
            row["planned_start"], row["actual_start"], row["annual_plan"], row["completed"], as_of
        )


def scale_money(rows: list[dict], total_wan: int, plan_wan: int | None = None) -> None:
    """Rescale the rows' money so the sums equal the published totals to the 万元."""
    _scale(rows, "total_investment", total_wan)
    if plan_wan is not None:
        ratio = [r["completed"] / r["annual_plan"] if r["annual_plan"] else 0 for r in rows]
        _scale(rows, "annual_plan", plan_wan)
        for row, share in zip(rows, ratio, strict=True):
            row["completed"] = float(round(row["annual_plan"] * share))


def _scale(rows: list[dict], key: str, target: int) -> None:
    current = sum(r[key] for r in rows)
    for row in rows:
        row[key] = float(max(1, round(row[key] * target / current)))
    rows[-1][key] += target - sum(r[key] for r in rows)
