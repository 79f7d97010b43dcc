"""The CJK font of the print, found by file path (Debian's packages install it).

matplotlib's own font (DejaVu Sans) has no Chinese glyphs: every character would print as a
box. Looking a family up by name goes through matplotlib's font cache, which may have been
built before the font was installed; a file path does not. ``make run`` and ``make test``
install ``fonts-wqy-microhei``; the others are taken when it is missing.
"""

from __future__ import annotations

import functools
from pathlib import Path

from flask_babel import lazy_gettext
from matplotlib.font_manager import FontProperties

from geoapp.errors import GeoappError

CJK_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",  # fonts-wqy-microhei
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",  # fonts-wqy-zenhei
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",  # fonts-noto-cjk
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",  # fonts-droid-fallback
)


class FontMissing(GeoappError):
    status = 503

    @property
    def code(self) -> str:
        return "ServiceUnavailable"


@functools.cache
def cjk_font_path() -> Path | None:
    return next((Path(p) for p in CJK_FONTS if Path(p).is_file()), None)


def cjk_font() -> FontProperties:
    """The print's font; a 503 naming the package when no CJK font is installed."""
    path = cjk_font_path()
    if path is None:
        raise FontMissing(
            lazy_gettext("No Chinese font is installed: apt-get install fonts-wqy-microhei.")
        )
    return FontProperties(fname=str(path))
