"""Geometry helpers on the territorial reference: which projection a point belongs to,
projecting points, nearest and within-distance queries. Shared by accessibility (pillars)
and siting (planning); the parsers use the France boxes to refuse positions abroad."""

from __future__ import annotations

import numpy as np
import shapely

from terrinum.territories.reference import area_crs, transformer

# Latitude/longitude boxes of the territories the référentiel covers, by département or
# collectivité code: metropolitan France with Corsica, the five DROM, Saint-Pierre-et-Miquelon,
# Saint-Martin and Saint-Barthélemy.
FRANCE_BOXES = {
    "metropole": (41.2, 51.2, -5.3, 9.7),
    "971": (15.8, 16.6, -61.9, -60.9),
    "972": (14.3, 14.95, -61.3, -60.75),
    "973": (2.0, 6.0, -54.7, -51.5),
    "974": (-21.45, -20.85, 55.2, 55.9),
    "976": (-13.1, -12.6, 44.95, 45.35),
    "975": (46.7, 47.2, -56.6, -56.1),
    "977-978": (17.85, 18.15, -63.2, -62.75),
}


def in_france(lat: float, lon: float) -> bool:
    return any(a <= lat <= b and c <= lon <= d for a, b, c, d in FRANCE_BOXES.values())


def crs_of_point(lat: float, lon: float) -> str:
    """Projection of a point from the France box it falls in (its commune may be unknown)."""
    for code, (a, b, c, d) in FRANCE_BOXES.items():
        if a <= lat <= b and c <= lon <= d:
            return area_crs(code)
    return area_crs("75")


def project(lon: np.ndarray, lat: np.ndarray, crs: str) -> np.ndarray:
    """(x, y) metres of lon/lat arrays in `crs`."""
    x, y = transformer("EPSG:4326", crs).transform(np.asarray(lon, float), np.asarray(lat, float))
    return np.column_stack([x, y])


def pairs_within(a_xy: np.ndarray, b_xy: np.ndarray, radius: float) -> tuple[np.ndarray, np.ndarray]:
    """(i, j) index pairs with |a_i - b_j| <= radius, sorted by i then j."""
    if len(a_xy) == 0 or len(b_xy) == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    tree = shapely.STRtree(shapely.points(b_xy))
    i, j = tree.query(shapely.points(a_xy), predicate="dwithin", distance=radius)
    order = np.lexsort((j, i))
    return i[order].astype(np.int64), j[order].astype(np.int64)


def nearest_distance(a_xy: np.ndarray, b_xy: np.ndarray) -> np.ndarray:
    """Distance from each point of a to the nearest point of b (inf when b is empty)."""
    if len(b_xy) == 0:
        return np.full(len(a_xy), np.inf)
    tree = shapely.STRtree(shapely.points(b_xy))
    idx, dist = tree.query_nearest(shapely.points(a_xy), return_distance=True, all_matches=False)
    out = np.full(len(a_xy), np.inf)
    out[idx[0]] = dist
    return out
