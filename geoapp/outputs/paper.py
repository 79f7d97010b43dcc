"""The sheet a wall map is printed on: ISO 216 sizes in points, orientation, the PNG's
resolution, and how type grows with the sheet.

Type grows with the square root of the sheet's short side (A4 1×, A3 1.19×, A1 1.68×,
A0 2×): an A0 on the wall is read from a few metres, but blowing an A4 up four times would
leave room for no more projects than the A4; this way an A0 holds about four times as many
rows and labels as an A4, each large enough to read from the meeting table.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MM = 72 / 25.4  # points per millimetre
SIZES_MM = {"A4": (210, 297), "A3": (297, 420), "A1": (594, 841), "A0": (841, 1189)}
ORIENTATIONS = ("landscape", "portrait")
PNG_DPI = 150
# A0 at 150 dpi would be 4966 × 7022 px (35 MP, 140 MB of pixels before the PNG is written):
# above this many pixels the resolution is lowered instead (A0: 124 dpi, 4105 × 5804 px).
PNG_MAX_PIXELS = 24_000_000
BODY_PT = 7.0  # body type on an A4, in points


@dataclass(frozen=True)
class Paper:
    size: str  # a key of SIZES_MM
    orientation: str  # landscape | portrait

    @property
    def mm(self) -> tuple[float, float]:
        """(width, height) in millimetres."""
        short, long = SIZES_MM[self.size]
        return (long, short) if self.orientation == "landscape" else (short, long)

    @property
    def points(self) -> tuple[float, float]:
        width, height = self.mm
        return width * MM, height * MM

    @property
    def inches(self) -> tuple[float, float]:
        width, height = self.mm
        return width / 25.4, height / 25.4

    @property
    def scale(self) -> float:
        """The short side against an A4's: margins and lines grow with it."""
        return min(self.mm) / SIZES_MM["A4"][0]

    @property
    def body_pt(self) -> float:
        """Body type in points (see the module's docstring)."""
        return BODY_PT * math.sqrt(self.scale)

    def png_dpi(self) -> int:
        """150 dpi, or less where that would exceed ``PNG_MAX_PIXELS``."""
        width, height = self.inches
        return min(PNG_DPI, math.floor(math.sqrt(PNG_MAX_PIXELS / (width * height))))

    def png_pixels(self) -> tuple[int, int]:
        """The PNG's (width, height) in pixels, as matplotlib's Agg canvas sizes it."""
        dpi = self.png_dpi()
        width, height = self.inches
        return int(width * dpi), int(height * dpi)
