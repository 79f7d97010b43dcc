"""The OGC API's HTML pages read like the product: labels with units, enum labels, grouped
figures, dates; the language switch stays on the page; untrusted text stays text."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest

from geoapp import create_app
from geoapp.ogc_html import number
from tests.accounts import signed_in
from tests.fixtures import XSS_NAME, settings_for

ITEMS = "/ogc/collections/projects/items"


class _Page(HTMLParser):
    """The text a reader sees (no attributes, no head), and the language links."""

    def __init__(self):
        super().__init__()
        self.text: list[str] = []
        self.links: dict[str, str] = {}
        self._head = False
        self._lang: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self._head = self._head or tag == "head"
        if tag == "a" and "lang" in attrs:
            self._lang = attrs["lang"]
            self.links[attrs["lang"]] = attrs["href"]

    def handle_endtag(self, tag):
        if tag == "head":
            self._head = False

    def handle_data(self, data):
        if not self._head and data.strip():
            self.text.append(data.strip())


def page(client, url: str) -> _Page:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/html"
    parsed = _Page()
    parsed.feed(response.get_data(as_text=True))
    return parsed


@pytest.fixture
def client(gpkg):
    return signed_in(create_app(settings_for(gpkg)))


def test_figures_are_grouped_with_at_most_two_decimals():
    assert number(26874.0) == "26,874"
    assert number(1234.5) == "1,234.5"
    assert number(1234.567) == "1,234.57"
    assert number(0.004) == "0"
    assert number(-12000) == "-12,000"


def test_items_page_in_chinese_shows_labels_units_enum_labels_and_figures(client):
    shown = page(client, f"{ITEMS}?f=html&lang=zh")
    text = shown.text
    assert "总投资（万元）" in text and "建设阶段" in text and "计划开（复）工时间" in text
    assert "在建" in text and "前期推进" in text
    assert "1,000" in text and "5,000" in text
    assert "2026-03-01" in text
    for raw in ("total_investment", "status", "construction", "preparatory", "1000.0"):
        assert raw not in text, raw
    html = client.get(f"{ITEMS}?f=html&lang=zh").get_data(as_text=True)
    assert 'title="total_investment"' in html  # the keys stay at hand, not in sight
    assert '<data value="construction">在建</data>' in html


def test_items_page_in_english(client):
    text = page(client, f"{ITEMS}?f=html&lang=en").text
    assert "Total investment (10k CNY)" in text and "Status" in text
    assert "Under construction" in text and "Preparatory" in text
    assert "总投资（万元）" not in text and "在建" not in text


def test_single_feature_page(client):
    text = page(client, f"{ITEMS}/1?f=html&lang=zh").text
    assert "陇县乳制品项目" in text and "总投资（万元）" in text and "1,000" in text
    assert "在建" in text and "construction" not in text


def test_json_answers_keep_raw_values(client):
    body = client.get(f"{ITEMS}?limit=1").get_json()
    props = body["features"][0]["properties"]
    assert props["status"] == "construction" and props["total_investment"] == 1000.0
    assert client.get(f"{ITEMS}/1").get_json()["properties"]["status"] == "construction"


def test_queryables_and_collections_pages_speak_the_page_language(client):
    text = page(client, "/ogc/collections/projects/queryables?f=html&lang=zh").text
    assert "总投资（万元）" in text and "数值" in text and "日期" in text
    assert "在建" in " ".join(text)  # the values an enum takes, by their labels
    text = page(client, "/ogc/collections/projects/sortables?f=html&lang=en").text
    assert "Total investment (10k CNY)" in text and "Number" in text
    text = page(client, "/public/ogc/collections?f=html&lang=en").text
    assert "Land parcels" in text and "Industrial parks" in text


@pytest.mark.parametrize(
    "url",
    [
        f"{ITEMS}?f=html&status=construction&limit=2",
        f"{ITEMS}/1?f=html",
        "/ogc/collections/projects/queryables?f=html",
        "/public/ogc/collections?f=html",
        "/ogc?f=html",
    ],
)
def test_language_switch_stays_on_the_ogc_page(client, url):
    links = page(client, url + "&lang=zh").links
    english = urlsplit(links["en"])
    asked = urlsplit(url)
    assert english.path == asked.path
    assert parse_qs(english.query) == parse_qs(asked.query) | {"lang": ["en"]}
    assert parse_qs(urlsplit(links["zh-CN"]).query)["lang"] == ["zh"]


@pytest.mark.parametrize(
    ("url", "path", "kept"),
    [
        ("/", "/", {}),
        ("/?status=construction", "/", {"status": ["construction"]}),
        ("/import", "/import", {}),
    ],
)
def test_language_switch_on_the_map_and_import_pages(client, url, path, kept):
    english = urlsplit(page(client, url).links["en"])
    assert english.path == path
    assert parse_qs(english.query) == kept | {"lang": ["en"]}


def test_untrusted_text_stays_escaped(client):
    for url in (f"{ITEMS}?f=html", f"{ITEMS}/2?f=html"):
        html = client.get(url).get_data(as_text=True)
        assert XSS_NAME not in html
        assert "&lt;img src=x onerror=alert(1)&gt;" in html
        assert XSS_NAME in page(client, url).text
