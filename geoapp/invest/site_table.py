"""Sites of one kind (land, or factory space) as columns of numbers, sorted by id.

What the siting search weighs per request must cost arithmetic only: each column is a numpy
array; text that a requirement compares (the park, the land use) is a whole-number code with its
table of values, so matching an industry is a lookup per park, not a string comparison per site;
the row order is the sites' ids in order, so a position breaks ties as the id would.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pandas.api.types import is_numeric_dtype


@dataclass(frozen=True)
class SiteTable:
    columns: dict[str, np.ndarray]  # float columns and the text of ``TEXT``
    geometry: np.ndarray  # the outlines, same order
    park_codes: np.ndarray = field(repr=False)  # index into ``park_industries``
    park_industries: tuple[frozenset[str], ...] = field(repr=False)
    land_use_codes: np.ndarray = field(repr=False)
    land_uses: tuple[str, ...] = field(repr=False)

    def __len__(self) -> int:
        return len(self.geometry)

    def column(self, name: str) -> np.ndarray:
        return self.columns[name]

    def row(self, i: int) -> dict:
        return {name: values[i] for name, values in self.columns.items()}

    def names_industry(self, industry: str) -> np.ndarray:
        """1 where the site's park leads with ``industry`` or its land use is it, 0 where not,
        NaN where neither is recorded."""
        by_park = np.array([industry in names for names in self.park_industries], dtype=bool)
        found = by_park[self.park_codes] if len(by_park) else np.zeros(len(self), dtype=bool)
        if industry in self.land_uses:
            found = found | (self.land_use_codes == self.land_uses.index(industry))
        told = np.array([bool(names) for names in self.park_industries], dtype=bool)
        known = (told[self.park_codes] if len(told) else False) | (self.land_use_codes >= 0)
        return np.where(known, found.astype(float), np.nan)


def site_table(frame: pd.DataFrame, geometry: np.ndarray, industries_of) -> SiteTable:
    """The table of ``frame``'s rows (any order), sorted by layer and id."""
    order = np.lexsort((frame["key"].to_numpy(dtype=str), frame["layer"].to_numpy(dtype=str)))
    frame = frame.iloc[order].reset_index(drop=True)
    park_codes, _parks = pd.factorize(frame["park_id"], use_na_sentinel=False)
    park_texts = frame.groupby(park_codes, sort=True)["industries"].first()
    land_use = frame["land_use"].where(frame["land_use"] != "", None)
    land_use_codes, land_uses = pd.factorize(land_use)
    columns = {
        name: frame[name].to_numpy(float if is_numeric_dtype(frame[name]) else object)
        for name in frame.columns
    }
    return SiteTable(
        columns=columns,
        geometry=np.asarray(geometry)[order],
        park_codes=park_codes,
        park_industries=tuple(frozenset(industries_of(t)) for t in park_texts),
        land_use_codes=land_use_codes,
        land_uses=tuple(str(u) for u in land_uses),
    )
