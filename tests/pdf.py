"""Reading PDFs as a person would, with Debian's poppler-utils (`make test` installs them):
the text (``pdftotext``), the page size (``pdfinfo``) and the page as pixels (``pdftoppm``)."""

from __future__ import annotations

import io
import re
import subprocess

from PIL import Image


def pdf_text(data: bytes, layout: bool = False) -> str:
    """The text of every page, in reading order (``layout``: as laid out on the page)."""
    command = ["pdftotext", *(["-layout"] if layout else []), "-enc", "UTF-8", "-", "-"]
    return subprocess.run(command, input=data, capture_output=True, check=True).stdout.decode()


def pdf_page_size(data: bytes) -> tuple[float, float]:
    """The first page's (width, height) in points."""
    info = subprocess.run(["pdfinfo", "-"], input=data, capture_output=True, check=True)
    found = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info.stdout.decode())
    assert found, info.stdout.decode()
    return float(found.group(1)), float(found.group(2))


def pdf_image(data: bytes, dpi: int = 36) -> Image.Image:
    """The first page rasterised at ``dpi`` (RGB)."""
    png = subprocess.run(
        ["pdftoppm", "-png", "-r", str(dpi), "-f", "1", "-l", "1", "-"],
        input=data,
        capture_output=True,
        check=True,
    ).stdout
    return Image.open(io.BytesIO(png)).convert("RGB")
