"""Documentation and translations kept complete: a new setting or string fails here first."""

from __future__ import annotations

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from geoapp.config import PROJECT_ROOT, SETTINGS
from geoapp.layers import load_layers


def test_readme_documents_every_setting():
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    missing = [s.name for s in SETTINGS if f"`{s.name}`" not in readme]
    assert not missing, f"README.md does not document {missing}"


def test_readme_gives_the_two_commands():
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    assert "make run" in readme and "make test" in readme


def test_readme_lists_every_layer_file():
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    for layer in load_layers(PROJECT_ROOT / "layers"):
        assert f"layers/{layer.source.name}" in readme


def test_every_ui_string_has_a_chinese_translation():
    method_map = [("geoapp/**.py", "python"), ("templates/**.html", "jinja2")]
    used = {
        message
        for _file, _line, message, _comments, _context in extract_from_dir(
            PROJECT_ROOT, method_map=method_map
        )
    }
    used = {m if isinstance(m, str) else m[0] for m in used}
    po_path = PROJECT_ROOT / "geoapp" / "translations" / "zh" / "LC_MESSAGES" / "messages.po"
    with open(po_path, "rb") as handle:
        catalog = read_po(handle)
    translated = {m.id for m in catalog if m.id and m.string}
    assert sorted(used - translated) == []
