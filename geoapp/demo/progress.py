"""The demo's monthly progress history (月报): what each started project reported at every month's
end of the reporting year, so that the year can be replayed month by month (``geoapp.replay``).

Each project started by the reporting date reports from its start month (January for one
resumed from last year) to the reporting month; its cumulative completed investment rises
evenly to the figure it has now, and it is under construction until its last report, which
gives its present stage.
"""

from __future__ import annotations

from datetime import date

import geopandas as gpd
import pandas as pd

from geoapp.imports.progress import as_of_month


def monthly_progress(projects: gpd.GeoDataFrame, as_of: date) -> gpd.GeoDataFrame:
    """One row per started project and month of ``as_of``'s year, up to ``as_of``."""
    starts = pd.to_datetime(projects["actual_start"])
    rows = []
    for (_, project), start in zip(projects.iterrows(), starts, strict=True):
        if pd.isna(start) or start.date() > as_of or pd.isna(project["completed"]):
            continue
        first = 1 if start.year < as_of.year else start.month
        months = range(first, as_of.month + 1)
        for step, month in enumerate(months, start=1):
            last = step == len(months)
            rows.append(
                {
                    "project_id": project["project_id"],
                    "month": as_of_month(date(as_of.year, month, 1)).replace(day=1),
                    "completed": round(float(project["completed"]) * step / len(months), 1),
                    "status": project["status"] if last else "construction",
                    "remarks": None,
                    "geometry": project.geometry,
                }
            )
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=projects.crs)
