"""The seed places: parks and the project counts published for them (``shared/domain.md``).

Counts marked "published" must be reproduced exactly by the demo data (tests check them);
the rest are plausible round figures for counties whose reports give no number.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Park:
    park_id: str
    name: str
    industries: str
    size_km: float  # side of the roughly square park


@dataclass(frozen=True)
class ProjectCounts:
    """New (新建) and continuing (续建) projects and how many of each started this year."""

    new: int
    new_started: int
    continuing: int
    continuing_resumed: int
    total_investment_wan: int | None = None  # 万元, when published


@dataclass(frozen=True)
class SeedCounty:
    adcode: str
    seat: tuple[float, float] | None  # (lon, lat) WGS84; None: the boundary's inner point
    parks: tuple[Park, ...]
    projects: ProjectCounts
    provincial_city_started: tuple[int, int] = (0, 0)  # 城固: 4 provincial + 48 city, all started
    landmarks: tuple[tuple[str, float, float, str], ...] = field(default=())


LONG = SeedCounty(
    "610327",
    (106.855, 34.895),
    (
        Park("LX-SS", "苏陕工业园", "装备制造、新材料", 1.6),
        Park("LX-SP", "食品工业园", "乳制品、食品加工", 1.2),
        Park("LX-XC", "新型材料工业园", "新型建材、新材料", 1.4),
        Park("LX-WL", "交通物流园", "仓储物流、商贸", 1.0),
        Park("LX-WM", "外贸产业园", "外贸加工", 0.9),
        Park("LX-DS", "电商产业园", "电子商务、农特产品", 0.7),
    ),
    ProjectCounts(new=110, new_started=75, continuing=78, continuing_resumed=72),  # 147/188
)
CHENGGU = SeedCounty(
    "610722",
    (107.333, 33.157),
    (
        Park("CG-JK", "城固经济技术开发区", "航空装备、生物医药", 2.0),
        Park("CG-SP", "城固食品工业园", "食品、茶叶加工", 1.1),
    ),
    ProjectCounts(
        new=260,
        new_started=196,
        continuing=200,
        continuing_resumed=184,
        total_investment_wan=10_809_600,
    ),  # 460 projects, 1,080.96 亿 (published)
    provincial_city_started=(4, 48),
)
JINGLE = SeedCounty(
    "140926",
    (111.94, 38.36),
    (Park("JL-JK", "静乐县经济技术开发区", "新能源、农产品加工", 1.2),),
    ProjectCounts(new=36, new_started=24, continuing=24, continuing_resumed=21),
)
LINZE = SeedCounty(
    "620723",
    (100.165, 39.153),
    (Park("LZ-ZE", "扎尔墩滩工业集中区", "新型储能、光伏制造、农产品加工", 2.4),),
    ProjectCounts(new=48, new_started=37, continuing=32, continuing_resumed=29),
    landmarks=(("临泽县2GWh储能电站项目", 100.215, 39.185, "energy"),),
)
# 葫芦岛市 (published, early June 2022): 500 projects, 117 of 268 new started, 212 of 232
# continuing resumed; money split by group below. Spread over its six districts and counties.
HULUDAO_COUNTIES = ("211402", "211403", "211404", "211421", "211422", "211481")
HULUDAO = ProjectCounts(
    new=268,
    new_started=117,
    continuing=232,
    continuing_resumed=212,
    total_investment_wan=26_198_000,
)
HULUDAO_MONEY_WAN = {  # group → (total investment, annual plan), 万元
    "new_started": (1_401_600, 508_000),
    "resumed": (14_717_300, 1_505_800),
    "all": (26_198_000, 3_251_000),
}
HULUDAO_PARKS = {
    "211481": (Park("HLD-XC", "兴城临海产业区", "泳装、海洋装备", 1.8),),
    "211421": (Park("HLD-SZ", "绥中滨海经济区", "装备制造、新能源", 2.0),),
    "211402": (Park("HLD-KF", "葫芦岛经济开发区", "石化、有色金属", 1.6),),
}
HULUDAO_LANDMARKS = (
    ("徐大堡核电站", 120.546, 40.351, "energy"),
    ("绥中四方台风电场", 119.95, 40.42, "energy"),
    ("绥中下骆驼风电场", 120.05, 40.22, "energy"),
    ("绥中西沟风电场", 119.70, 40.38, "energy"),
    ("南票光伏发电项目", 120.70, 41.10, "energy"),
)
COUNTIES = (LONG, CHENGGU, JINGLE, LINZE)
# 葫芦岛's county seats (WGS84, approximate): its parks were placed around each county's inner
# point, but an investor's distance is to the seat, so the landmarks table carries these.
HULUDAO_SEATS = {
    "211402": (120.869, 40.775),  # 连山区
    "211403": (120.894, 40.736),  # 龙港区
    "211404": (120.749, 41.107),  # 南票区
    "211421": (120.344, 40.326),  # 绥中县
    "211422": (119.837, 40.824),  # 建昌县
    "211481": (120.727, 40.615),  # 兴城市
}
# Highway exits, railway stations and airports an investor measures a site against:
# (kind, name, county code or None, lon, lat). APPROXIMATE demo placements (WGS84, to about a
# kilometre, from public maps): good enough for "about 10 km to the highway", not for routing.
# An airport serves several counties, so it names none; the nearest of each kind is measured.
TRANSPORT = (
    ("highway_exit", "陇县收费站", "610327", 106.87, 34.88),
    ("railway_station", "陇县站（宝中铁路）", "610327", 106.84, 34.90),
    ("highway_exit", "城固收费站（京昆高速）", "610722", 107.30, 33.17),
    ("railway_station", "城固北站（西成高铁）", "610722", 107.33, 33.19),
    ("railway_station", "城固站（阳安铁路）", "610722", 107.33, 33.15),
    ("highway_exit", "静乐收费站", "140926", 111.93, 38.35),
    ("railway_station", "静乐站", "140926", 111.95, 38.37),
    ("highway_exit", "临泽收费站（连霍高速）", "620723", 100.17, 39.12),
    ("railway_station", "临泽站（兰新铁路）", "620723", 100.17, 39.14),
    ("highway_exit", "葫芦岛收费站（京哈高速）", "211402", 120.80, 40.76),
    ("railway_station", "葫芦岛北站（秦沈客专）", "211402", 120.82, 40.78),
    ("highway_exit", "兴城收费站（京哈高速）", "211481", 120.69, 40.63),
    ("railway_station", "兴城站", "211481", 120.72, 40.61),
    ("highway_exit", "绥中收费站（京哈高速）", "211421", 120.33, 40.35),
    ("railway_station", "绥中北站", "211421", 120.30, 40.34),
    ("airport", "西安咸阳国际机场", None, 108.75, 34.45),
    ("airport", "天水麦积山机场", None, 105.86, 34.56),
    ("airport", "汉中城固机场", None, 107.20, 33.13),
    ("airport", "忻州五台山机场", None, 112.97, 38.60),
    ("airport", "太原武宿国际机场", None, 112.63, 37.75),
    ("airport", "张掖甘州机场", None, 100.68, 38.80),
    ("airport", "锦州湾机场", None, 121.06, 40.99),  # serves 葫芦岛
    ("airport", "秦皇岛北戴河机场", None, 119.06, 39.67),
)
# Telephone area code (区号) and postal address of each county, for the parks' committees.
CONTACTS = {
    "610327": ("0917", "陕西省宝鸡市陇县"),
    "610722": ("0916", "陕西省汉中市城固县"),
    "140926": ("0350", "山西省忻州市静乐县"),
    "620723": ("0936", "甘肃省张掖市临泽县"),
    "211402": ("0429", "辽宁省葫芦岛市连山区"),
    "211421": ("0429", "辽宁省葫芦岛市绥中县"),
    "211481": ("0429", "辽宁省葫芦岛市兴城市"),
}
AS_OF = "2026-10-31"  # the demo's reporting date (月报 month end)
