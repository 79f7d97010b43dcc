"""PDF documents: a file is taken as a PDF only when it is one and arrived whole.

Nothing here parses a PDF (no renderer, no ``pdfinfo``: a parser of untrusted PDFs is what
attacks aim at, and a second copy of one in the app is a second place to patch). What is
checked is what every PDF writer leaves and what a file cut short loses: the header
(``%PDF-1.x`` or ``%PDF-2.0``) at the very start, and at the end ``startxref``, the byte
offset of the last cross-reference section, then ``%%EOF``; the offset must lie in the file
and hold an ``xref`` table or a cross-reference stream's object. A text, HTML or SVG file
named ``.pdf`` lacks the header; a download cut off lacks the end. What such a file holds
besides is never shown as a page: it is served as ``application/pdf``, as a download, with
``nosniff`` (``geoapp.views.invest_files``).
"""

from __future__ import annotations

import re

from flask_babel import gettext as _

from geoapp.photos import Refused, megabytes

HEADER = re.compile(rb"%PDF-(?:1\.[0-7]|2\.0)")
TAIL = 1024  # readers look for %%EOF this far from the end (trailing padding allowed)
END = re.compile(rb"startxref\s+(\d{1,15})\s+%%EOF")
SECTION = re.compile(rb"\s*(?:xref|\d+\s+\d+\s+obj)")  # what the offset must point at


def is_pdf(data: bytes) -> bool:
    """True when the bytes begin as a PDF does: the file is to be checked as one."""
    return HEADER.match(data) is not None


def check_pdf(name: str, data: bytes, max_bytes: int) -> None:
    """Raise ``Refused`` naming ``name`` when ``data`` is too large or not a whole PDF."""
    if len(data) > max_bytes:
        mb = megabytes(max_bytes)
        raise Refused(_("“%(name)s” is larger than %(mb)s MB.", name=name, mb=mb))
    if not is_pdf(data):
        raise Refused(_("“%(name)s” is not a PDF.", name=name))
    ends = list(END.finditer(data, max(0, len(data) - TAIL - 64)))
    offset = int(ends[-1].group(1)) if ends else len(data)
    if offset >= len(data) or not SECTION.match(data, offset):
        raise Refused(_("“%(name)s” is damaged or incomplete.", name=name))
