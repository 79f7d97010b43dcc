"""挂图作战图: the printed wall map, read back as a person would read the sheet.

The PDF's text comes from ``pdftotext``, its size from ``pdfinfo`` and its pixels from
``pdftoppm`` (Debian's poppler-utils), so the checks hold for what a printer gets: page size
per paper and orientation, a map that is not blank, legend counts equal to the filter's,
Chinese text (title, rates, the filter's projects and none outside it), an official's
jurisdiction, and a 400 naming the parameter for each bad input.
"""

from __future__ import annotations

import io
import re
import shutil
from collections import Counter

import numpy as np
import pytest
from PIL import Image

from geoapp import create_app
from geoapp.config import PROJECT_ROOT
from geoapp.errors import ConfigError
from geoapp.outputs.labels import Taken, overlap, place
from geoapp.outputs.paper import ORIENTATIONS, SIZES_MM, Paper
from geoapp.outputs.sheet import page_layout
from geoapp.stores import GeoPackageStore
from tests.accounts import signed_in
from tests.fixtures import LINZE, LONG, XSS_NAME, settings_for, tiny_frames
from tests.pdf import pdf_image, pdf_page_size, pdf_text

AS_OF = "2026-06-30"
LONG_NAMES = ["陇县乳制品项目", "陇县医院项目", "陇县风电项目", XSS_NAME]
LINZE_NAME = "临泽储能电站"
STATUS_LABELS = {"reserve": "谋划储备", "preparatory": "前期推进", "construction": "在建"}
STATUS_LABELS |= {"completed": "竣工", "production": "投产", "output": "达效"}
WARNING_LABELS = {"red": "红色预警", "yellow": "黄色预警", "green": "正常"}


@pytest.fixture(scope="module")
def gpkg_client(tmp_path_factory):
    """An admin on the tiny GeoPackage, for the checks that do not depend on the backend
    (page sizes, pixels); the others take ``client`` and run on every backend."""
    path = tmp_path_factory.mktemp("wallmap") / "tiny.gpkg"
    GeoPackageStore.create(path, tiny_frames())
    return signed_in(create_app(settings_for(path)))


def test_the_print_reads_the_filters_projects_rates_and_legend(client):
    answer = client.get(f"/print/wallmap.pdf?county={LONG}&as_of={AS_OF}&lists=1")
    assert answer.status_code == 200 and answer.mimetype == "application/pdf"
    assert "attachment" in answer.headers["Content-Disposition"]
    text = pdf_text(answer.data)
    assert "陇县重点项目挂图作战图" in text and "截至2026年6月30日" in text
    for words in ("开工率", "开复工率", "新项目开工率", "续建项目复工率", "投资完成率", "时间进度"):
        assert words in text, words
    for name in LONG_NAMES:
        assert name in text, name  # the XSS name is plain text, character for character
    assert LINZE_NAME not in text
    assert "红黄预警清单" in text and "计划3月开工，逾期3个月未开工" in text
    assert _legend(answer.data) == _expected_legend(client)


def _legend(pdf: bytes) -> dict[str, int]:
    """The counts beside each legend key, as the sheet prints them."""
    text = pdf_text(pdf, layout=True)
    found = {}
    for key, label in (STATUS_LABELS | WARNING_LABELS).items():
        match = re.search(rf"(?<!\S){label}\s+(\d+)(?!,)", text)
        assert match, f"no count beside {label}"
        found[key] = int(match.group(1))
    return found


def _expected_legend(client) -> dict[str, int]:
    """Status counts of the filter (the API's), warnings of the reporting date (the 红黑榜's)."""
    page = client.get(f"/api/layers/projects/features?county={LONG}&limit=100").get_json()
    statuses = Counter(f["properties"]["status"] for f in page["features"])
    ranked = client.get(f"/api/rankings?by=county&county={LONG}&as_of={AS_OF}").get_json()
    place = ranked["places"][0]
    warnings = {"red": place["red"], "yellow": place["yellow"]}
    warnings["green"] = place["count"] - place["red"] - place["yellow"]
    return {key: statuses.get(key, 0) for key in STATUS_LABELS} | warnings


def test_an_official_prints_only_the_jurisdiction(app):
    official = signed_in(app, "official_long", "official", LONG)
    text = pdf_text(official.get(f"/print/wallmap.pdf?as_of={AS_OF}").data)
    assert all(name in text for name in LONG_NAMES)
    assert LINZE_NAME not in text and "临泽县" not in text
    asked = official.get(f"/print/wallmap.pdf?county={LINZE}&as_of={AS_OF}")
    assert asked.status_code == 200
    text = pdf_text(asked.data)  # not even the county's name in the title
    assert LINZE_NAME not in text and "临泽县" not in text and "0 个（新建 0，续建 0）" in text


@pytest.mark.parametrize("size", list(SIZES_MM))
@pytest.mark.parametrize("orientation", ORIENTATIONS)
def test_page_size_in_points_per_paper_and_orientation(gpkg_client, size, orientation):
    answer = gpkg_client.get(f"/print/wallmap.pdf?size={size}&orientation={orientation}")
    assert answer.status_code == 200
    width, height = pdf_page_size(answer.data)
    expected = Paper(size, orientation).points
    assert width == pytest.approx(expected[0], abs=0.01)
    assert height == pytest.approx(expected[1], abs=0.01)
    assert (width > height) == (orientation == "landscape")


def test_the_map_is_drawn_not_blank(gpkg_client):
    answer = gpkg_client.get(f"/print/wallmap.pdf?county={LONG}&size=A4")
    dpi = 72
    image = np.asarray(pdf_image(answer.data, dpi), dtype=float)
    x0, y0, x1, y1 = page_layout(Paper("A4", "landscape")).map
    height = image.shape[0]
    inside = image[int(height - y1) + 4 : int(height - y0) - 4, int(x0) + 4 : int(x1) - 4]
    assert inside.std() > 10  # outlines, markers and labels on white
    construction = np.array([0x1E, 0x88, 0xE5])  # layers/projects.toml: status construction
    assert (np.abs(inside - construction).max(axis=2) < 30).sum() > 4


def test_status_colours_come_from_the_layer_declaration(tmp_path):
    layers = tmp_path / "layers"
    shutil.copytree(PROJECT_ROOT / "layers", layers)
    toml = layers / "projects.toml"
    toml.write_text(toml.read_text().replace("#1e88e5", "#ff00ff"), encoding="utf-8")
    path = tmp_path / "tiny.gpkg"
    GeoPackageStore.create(path, tiny_frames())
    client = signed_in(create_app(settings_for(path) | {"GEOAPP_LAYERS_DIR": str(layers)}))
    answer = client.get(f"/print/wallmap.png?county={LONG}&size=A4")
    pixels = np.asarray(Image.open(io.BytesIO(answer.data)).convert("RGB"), dtype=int)
    magenta = (np.abs(pixels - np.array([255, 0, 255])).max(axis=2) < 20).sum()
    assert magenta > 50  # two projects under construction, and the legend's key


@pytest.mark.parametrize("size, orientation", [("A4", "portrait"), ("A0", "landscape")])
def test_png_has_the_expected_pixel_size(gpkg_client, size, orientation):
    answer = gpkg_client.get(f"/print/wallmap.png?size={size}&orientation={orientation}")
    assert answer.status_code == 200 and answer.mimetype == "image/png"
    image = Image.open(io.BytesIO(answer.data))
    assert image.size == Paper(size, orientation).png_pixels()
    assert image.size[0] * image.size[1] <= 24_000_000


@pytest.mark.parametrize(
    "query, param",
    [
        ("size=A5", "size"),
        ("size=A3&size=A4", "size"),
        ("orientation=sideways", "orientation"),
        ("as_of=2026-13-01", "as_of"),
        ("as_of=1999-12-31", "as_of"),
        ("title=" + "长" * 61, "title"),
        ("title=two%0Alines", "title"),
        ("lists=yes", "lists"),
        ("status=finished", "status"),
        ("download=no%20way", "download"),
    ],
)
def test_bad_input_is_a_400_naming_the_parameter(client, query, param):
    for fmt in ("pdf", "png"):
        answer = client.get(f"/print/wallmap.{fmt}?{query}")
        assert answer.status_code == 400, (query, answer.status_code)
        assert answer.get_json()["parameter"] == param


def test_a_title_of_the_users_and_names_that_look_like_markup_or_math(tmp_path):
    frames = tiny_frames()
    frames["projects"].loc[0, "name"] = "$\\frac{1}{0}$ %(x)s {{ y }}"
    path = tmp_path / "tiny.gpkg"
    GeoPackageStore.create(path, frames)
    client = signed_in(create_app(settings_for(path)))
    title = "<b>第12周</b> $x^2$ 调度会"
    answer = client.get("/print/wallmap.pdf", query_string={"title": title, "county": LONG})
    assert answer.status_code == 200
    text = pdf_text(answer.data)
    assert title in text
    assert "$\\frac{1}{0}$ %(x)s {{ y }}" in text and XSS_NAME in text


def test_an_empty_selection_still_prints(gpkg_client):
    answer = gpkg_client.get("/print/wallmap.pdf?q=没有这个项目")
    assert answer.status_code == 200
    assert "0 个（新建 0，续建 0）" in pdf_text(answer.data)


def test_the_download_token_comes_back_as_a_cookie(gpkg_client):
    answer = gpkg_client.get("/print/wallmap.pdf?size=A4&download=abc123")
    assert "geoapp_download=abc123" in answer.headers["Set-Cookie"]


def test_english_prints_in_english(gpkg_client):
    text = pdf_text(gpkg_client.get("/print/wallmap.pdf?size=A4&lang=en").data)
    assert "Key projects wall map" in text and "Start-or-resume rate" in text
    gpkg_client.get("/?lang=zh")  # the cookie back to Chinese for the other tests


def test_the_map_page_offers_the_print_with_its_filter(client):
    page = client.get(f"/?county={LONG}&status=construction").get_data(as_text=True)
    form = page[page.index('class="print-form"') :]
    form = form[: form.index("</form>")]
    assert 'action="/print/wallmap.pdf"' in form and 'formaction="/print/wallmap.png"' in form
    assert f'name="county" value="{LONG}"' in form
    assert 'name="status" value="construction"' in form
    assert 'class="notice print-notice" role="status"' in page


def test_labels_never_overlap_and_leave_out_what_has_no_room():
    """Forty labels wanting one spot: each placed one is clear of every other and of the
    markers; those without room are left out, not piled up."""
    anchors = [(100.0 + (i % 5), 100.0 + (i // 5)) for i in range(40)]
    taken = Taken(cell=20)
    for x, y in anchors[:3]:
        taken.add((x - 3, y - 3, x + 3, y + 3))
    placed = place(anchors, [(12.0, 8.0)] * len(anchors), 4.0, (0, 0, 200, 200), taken)
    assert 8 <= len(placed) < 40
    boxes = [p.box for p in placed]
    assert not any(overlap(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1 :])
    once, twice = (
        place(anchors, [(12.0, 8.0)] * 40, 4.0, (0, 0, 200, 200), Taken(cell=20)) for _ in (1, 2)
    )
    assert once == twice  # the same data gives the same sheet every week


def test_the_map_approval_number_is_printed_and_checked(tmp_path):
    path = tmp_path / "tiny.gpkg"
    GeoPackageStore.create(path, tiny_frames())
    settings = settings_for(path) | {"GEOAPP_MAP_APPROVAL": "GS(2024)1234号"}
    text = pdf_text(signed_in(create_app(settings)).get("/print/wallmap.pdf?size=A4").data)
    assert "审图号：GS(2024)1234号" in text
    with pytest.raises(ConfigError, match="GEOAPP_MAP_APPROVAL"):
        create_app(settings_for(path) | {"GEOAPP_MAP_APPROVAL": "GS\n1"})


def test_without_a_chinese_font_the_print_says_which_package(gpkg_client, monkeypatch):
    monkeypatch.setattr("geoapp.outputs.fonts.cjk_font_path", lambda: None)
    answer = gpkg_client.get("/print/wallmap.pdf?size=A4")
    assert answer.status_code == 503
    assert "fonts-wqy-microhei" in answer.get_json()["description"]
