"""Numbered labels that do not pile on each other: greedy placement with collision boxes.

Each label tries eight positions around its marker (upper right first, as cartographers
prefer), then the same eight farther out with a leader line; it takes the first whose box is
inside the map and touches no box already taken (other labels, every numbered marker, the
scale bar, the north arrow, place names). A label with no free position is left out (its
project is not numbered) rather than drawn over another. Projects come in order of priority
(red, yellow, then by investment), so the urgent ones get the best places.

Why not adjustText (the usual library): it pushes labels apart by iterated repulsion,
measuring every text with the renderer at each step, so it grows with the square of the
labels and takes seconds to minutes for the hundreds an A0 carries; it can end with
overlaps still there, and a small change in the data moves every label, while a wall map
is compared week by week. This placement is deterministic, never overlaps, and takes
milliseconds (boxes kept in a grid: each test looks only at its neighbours); see
``bench/wallmap.py``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in page points (y up)
# (dx, dy) directions: NE, E, SE, N, S, NW, W, SW
DIRECTIONS = ((1, 1), (1, 0), (1, -1), (0, 1), (0, -1), (-1, 1), (-1, 0), (-1, -1))
RINGS = (1.0, 2.4, 4.0, 6.5, 10.0)  # distance from the marker, in gaps; beyond the first: a leader


@dataclass(frozen=True)
class Placed:
    index: int  # position in the anchors given
    box: Box
    leader: bool  # drawn away from its marker: join them with a line


class Taken:
    """Boxes already on the page, in a grid of ``cell``-sized squares."""

    def __init__(self, cell: float):
        self.cell = cell
        self._grid: dict[tuple[int, int], list[Box]] = defaultdict(list)

    def _cells(self, box: Box) -> Iterator[tuple[int, int]]:
        x0, y0, x1, y1 = (int(v // self.cell) for v in box)
        for i in range(x0, x1 + 1):
            for j in range(y0, y1 + 1):
                yield i, j

    def hits(self, box: Box) -> bool:
        return any(overlap(box, other) for c in self._cells(box) for other in self._grid[c])

    def add(self, box: Box) -> None:
        for c in self._cells(box):
            self._grid[c].append(box)

    def add_all(self, boxes: Iterable[Box]) -> None:
        for box in boxes:
            self.add(box)


def overlap(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def inside(box: Box, frame: Box) -> bool:
    return frame[0] <= box[0] and frame[1] <= box[1] and box[2] <= frame[2] and box[3] <= frame[3]


def candidate(x: float, y: float, size: tuple[float, float], dx: int, dy: int, d: float) -> Box:
    """The box of a ``size`` label put in direction (dx, dy) at distance ``d`` from (x, y)."""
    w, h = size
    left = x + d if dx > 0 else x - d - w if dx < 0 else x - w / 2
    bottom = y + d if dy > 0 else y - d - h if dy < 0 else y - h / 2
    return left, bottom, left + w, bottom + h


def place(
    anchors: list[tuple[float, float]],
    sizes: list[tuple[float, float]],
    gap: float,
    frame: Box,
    taken: Taken,
) -> list[Placed]:
    """Labels for the anchors that have room, in the order given (priority first); a
    label keeps a tenth of ``gap`` clear around it."""
    placed = []
    for i, ((x, y), size) in enumerate(zip(anchors, sizes, strict=True)):
        spot = _first_free(x, y, size, gap, frame, taken)
        if spot is not None:
            box, ring = spot
            taken.add(box)
            placed.append(Placed(i, box, ring > RINGS[0]))
    return placed


def _first_free(x, y, size, gap, frame, taken) -> tuple[Box, float] | None:
    clear = gap / 10
    for ring in RINGS:
        for dx, dy in DIRECTIONS:
            box = candidate(x, y, size, dx, dy, gap * ring)
            if inside(box, frame) and not taken.hits(grow(box, clear)):
                return box, ring
    return None


def grow(box: Box, by: float) -> Box:
    return box[0] - by, box[1] - by, box[2] + by, box[3] + by


def marker_box(x: float, y: float, radius: float) -> Box:
    return x - radius, y - radius, x + radius, y + radius


def reading_order(points: list[tuple[float, float]], band: float) -> list[int]:
    """Indexes of the points in reading order: bands of height ``band`` from the top, left
    to right within each, so neighbouring numbers sit near each other on the map."""
    top = max((y for _x, y in points), default=0.0)
    return sorted(range(len(points)), key=lambda i: (int((top - points[i][1]) // band), points[i]))
