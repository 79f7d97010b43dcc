"""Mapbox Vector Tile (MVT 2.1) encoding, vectorised with numpy.

A pure-Python protobuf encoder spends most of a tile's time on per-vertex calls (0.16 s for
3,000 parcels with mapbox-vector-tile). Here the geometry command streams of all features are
built, zigzagged and varint-encoded as whole arrays; only the thin per-feature framing is a
Python loop. Input geometries are already in tile coordinates (0…extent, y down).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import shapely

EXTENT = 4096
MOVE_TO, LINE_TO, CLOSE_PATH = 1, 2, 7
GEOM_TYPE = {"point": 1, "line": 2, "polygon": 3}


def varints(values: np.ndarray) -> tuple[bytes, np.ndarray]:
    """Protobuf varints of unsigned ints (< 2**35): the bytes and each value's byte count."""
    values = np.asarray(values, dtype=np.uint64)
    sizes = np.ones(len(values), dtype=np.int64)
    for shift in (7, 14, 21, 28):
        sizes += values >= (1 << shift)
    out = np.empty(int(sizes.sum()), dtype=np.uint8)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    for k in range(5):
        has = sizes > k
        byte = (values[has] >> np.uint64(7 * k)) & np.uint64(0x7F)
        more = sizes[has] > k + 1
        out[starts[has] + k] = (byte | (more.astype(np.uint64) << np.uint64(7))).astype(np.uint8)
    return out.tobytes(), sizes


def _varint_slow(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


_SMALL_VARINTS = [_varint_slow(i) for i in range(1 << 14)]


def varint(value: int) -> bytes:
    """One protobuf varint; the two-byte ones (tags, lengths) come from a table."""
    return _SMALL_VARINTS[value] if value < 16384 else _varint_slow(value)


def _zigzag(values: np.ndarray) -> np.ndarray:
    values = values.astype(np.int64)
    return ((values << 1) ^ (values >> 63)).astype(np.uint64)


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited protobuf field."""
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def _rings(geoms: np.ndarray, geometry: str):
    """Vertices per ring (integers, closing vertex and repeats dropped) and ring owners."""
    parts, part_owner = shapely.get_parts(geoms, return_index=True)
    if geometry == "polygon":
        rings, ring_part = shapely.get_rings(parts, return_index=True)
    else:
        rings, ring_part = parts, np.arange(len(parts))
    coords, coord_ring = shapely.get_coordinates(rings, return_index=True)
    xy = np.rint(coords).astype(np.int64)
    keep = np.ones(len(xy), dtype=bool)
    same_ring = np.r_[False, coord_ring[1:] == coord_ring[:-1]]
    keep &= ~(same_ring & np.r_[False, (xy[1:] == xy[:-1]).all(axis=1)])
    if geometry == "polygon":
        last = np.r_[coord_ring[1:] != coord_ring[:-1], True]
        keep &= ~last  # MVT closes rings with ClosePath, not a repeated vertex
    xy, coord_ring = xy[keep], coord_ring[keep]
    exterior = np.r_[True, ring_part[1:] != ring_part[:-1]] if geometry == "polygon" else None
    return xy, coord_ring, part_owner[ring_part], exterior, ring_part


def _commands(geoms: np.ndarray, geometry: str, n_features: int):
    """Per feature: the encoded geometry bytes (as slices of one buffer)."""
    if geometry == "point":
        xy = np.rint(shapely.get_coordinates(geoms)).astype(np.int64)
        owner = np.arange(len(xy))
        counts = np.ones(len(xy), dtype=np.int64)
        return _encode_streams(xy, owner, counts, owner, geometry, n_features)
    xy, coord_ring, ring_owner, exterior, ring_part = _rings(geoms, geometry)
    counts = np.bincount(coord_ring, minlength=len(ring_owner))
    good_ring = counts >= (3 if geometry == "polygon" else 2)
    if geometry == "polygon":
        # A hole is only kept while its polygon's exterior ring survives.
        exterior_ok = np.zeros(ring_part.max() + 1 if len(ring_part) else 0, dtype=bool)
        exterior_ok[ring_part[exterior]] = good_ring[exterior]
        good_ring &= exterior_ok[ring_part]
        xy, coord_ring, counts, exterior = _orient(xy, coord_ring, counts, exterior, good_ring)
    good_coord = good_ring[coord_ring]
    renumber = np.cumsum(good_ring) - 1
    return _encode_streams(
        xy[good_coord],
        renumber[coord_ring[good_coord]],
        counts[good_ring],
        ring_owner[good_ring],
        geometry,
        n_features,
    )


def _orient(xy, coord_ring, counts, exterior, good_ring):
    """Exterior rings get positive area in tile coordinates (y down), interiors negative."""
    nxt = np.roll(xy, -1, axis=0)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    first = xy[starts[coord_ring]]
    is_last = np.r_[coord_ring[1:] != coord_ring[:-1], True]
    nxt[is_last] = first[is_last]
    cross = xy[:, 0] * nxt[:, 1] - nxt[:, 0] * xy[:, 1]
    area = np.bincount(coord_ring, weights=cross, minlength=len(counts))
    flip = np.where(exterior, area < 0, area > 0) & good_ring
    if flip.any():
        order = np.arange(len(xy))
        rows = flip[coord_ring]
        ring_of = coord_ring[rows]
        offset = order[rows] - starts[ring_of]
        order[rows] = starts[ring_of] + counts[ring_of] - 1 - offset
        xy = xy[order]
    return xy, coord_ring, counts, exterior


def _encode_streams(xy, coord_ring, counts, ring_owner, geometry, n_features):
    """Command integers for all rings at once, split into per-feature byte strings."""
    n_rings = len(counts)
    if n_rings == 0:
        return [b""] * n_features
    ring_first = np.concatenate(([0], np.cumsum(counts)[:-1]))
    feature_of_coord = ring_owner[coord_ring]
    prev = np.roll(xy, 1, axis=0)
    new_feature = np.r_[True, feature_of_coord[1:] != feature_of_coord[:-1]]
    prev[new_feature] = 0  # the cursor starts at (0, 0) for every feature
    deltas = _zigzag(xy - prev)
    closing = 1 if geometry == "polygon" else 0
    lengths = 2 * counts + 1 + (counts > 1) + closing
    if geometry == "point":
        lengths = np.full(n_rings, 3)
    stream = np.empty(int(lengths.sum()), dtype=np.uint64)
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    stream[starts] = MOVE_TO | (1 << 3)
    first_coord = ring_first
    stream[starts + 1] = deltas[first_coord, 0]
    stream[starts + 2] = deltas[first_coord, 1]
    multi = counts > 1
    stream[starts[multi] + 3] = LINE_TO | ((counts[multi] - 1) << 3)
    rest = np.ones(len(xy), dtype=bool)
    rest[first_coord] = False
    rank = np.arange(len(xy)) - ring_first[coord_ring]  # 1… for the LineTo vertices
    pos = starts[coord_ring] + 4 + 2 * (rank - 1)
    stream[pos[rest]] = deltas[rest, 0]
    stream[pos[rest] + 1] = deltas[rest, 1]
    if closing:
        stream[starts + lengths - 1] = CLOSE_PATH | (1 << 3)
    data, sizes = varints(stream)
    byte_ends = np.cumsum(sizes)
    ring_byte_end = byte_ends[starts + lengths - 1]
    feature_end = np.zeros(n_features, dtype=np.int64)
    np.maximum.at(feature_end, ring_owner, ring_byte_end)
    feature_end = np.maximum.accumulate(feature_end)
    feature_start = np.r_[0, feature_end[:-1]]
    return [data[a:b] for a, b in zip(feature_start.tolist(), feature_end.tolist(), strict=True)]


def encode_layer(
    name: str,
    geometry: str,
    geoms: Sequence | np.ndarray,
    ids: np.ndarray,
    properties: Mapping[str, Sequence],
    extent: int = EXTENT,
) -> bytes:
    """One tile layer as bytes; features whose geometry vanished (too small) are skipped."""
    geoms = np.asarray(geoms, dtype=object)
    keys = list(properties)
    values: list = []
    value_index: dict = {}
    tag_columns = []
    for key_no, key in enumerate(keys):
        column = []
        for value in properties[key]:
            if value is None or (isinstance(value, float) and np.isnan(value)):
                column.append(None)
                continue
            marker = (type(value).__name__, value)
            if marker not in value_index:
                value_index[marker] = len(values)
                values.append(value)
            column.append((key_no, value_index[marker]))
        tag_columns.append(column)
    commands = _commands(geoms, geometry, len(geoms))
    type_byte = varint(3 << 3 | 0) + varint(GEOM_TYPE[geometry])
    features = []
    for i, command in enumerate(commands):
        if not command:
            continue
        tags = [t for column in tag_columns if (t := column[i]) is not None]
        tag_bytes = b"".join(varint(k) + varint(v) for k, v in tags)
        feature = varint(1 << 3 | 0) + varint(int(ids[i]))
        feature += _field(2, tag_bytes) + type_byte + _field(4, command)
        features.append(_field(2, feature))
    body = varint(15 << 3 | 0) + varint(2) + _field(1, name.encode())
    body += b"".join(features)
    body += b"".join(_field(3, key.encode()) for key in keys)
    body += b"".join(_field(4, _value(v)) for v in values)
    body += varint(5 << 3 | 0) + varint(extent)
    return _field(3, body)


def _value(value) -> bytes:
    """An MVT Value message: strings, booleans, integers and doubles."""
    if isinstance(value, bool | np.bool_):
        return varint(7 << 3 | 0) + varint(int(value))
    if isinstance(value, int | np.integer) and 0 <= int(value) < 2**63:
        return varint(5 << 3 | 0) + varint(int(value))  # uint_value
    if isinstance(value, float | np.floating | int | np.integer):
        return varint(3 << 3 | 1) + np.float64(value).tobytes()  # double_value
    return _field(1, str(value).encode())
