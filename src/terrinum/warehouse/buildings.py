"""Building positions and premises kept beside the warehouse by per-building imports (one
Parquet file per vintage and département), read back to spread population over premises
(mobile coverage, accessibility)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from terrinum.territories.reference import transformer


def _departements(points: pl.DataFrame) -> pl.Series:
    code = pl.col("code")
    return points.select(pl.when(code.str.starts_with("97")).then(code.str.slice(0, 3)).otherwise(code.str.slice(0, 2)).alias("dep"))["dep"]


def missing(folder: Path, points: pl.DataFrame) -> list[str]:
    """The départements of `points` whose file is not in `folder` (a crash after the commit)."""
    return sorted(d for d in _departements(points).unique().to_list() if not (folder / f"{d}.parquet").exists())


def write(folder: Path, points: pl.DataFrame, crs: str, left_behind: pl.DataFrame | None = None) -> int:
    """Write building positions (columns code, x, y, n in `crs`), one file per département
    (replaced whole), and the buildings below 30 Mbit/s by wire with their details
    (`<dep>-sans-thd.parquet`); returns the number of buildings."""
    folder.mkdir(parents=True, exist_ok=True)
    # the positions last: a département's positions file says its files are all written
    # (`missing` looks for it after a crash)
    for frame, suffix in ((left_behind, "-sans-thd"), (points, "")):
        if frame is None:
            continue
        frame = frame.with_columns(_departements(frame))
        for (dep,), part in frame.partition_by("dep", as_dict=True).items():
            tmp = folder / f"{dep}{suffix}.parquet.tmp"
            part.drop("dep").with_columns(pl.lit(crs).alias("crs")).write_parquet(tmp)
            tmp.replace(folder / f"{dep}{suffix}.parquet")
    return points.height


def points_by_commune(root: Path | None, departements: list[str], target: str) -> dict[str, tuple]:
    """Positions (in `target`) and premises of the buildings of the latest per-building
    import, per commune: {code: (x, y, premises)}. Empty when none was imported."""
    if root is None or not root.is_dir():
        return {}
    vintages = sorted(d for d in root.iterdir() if d.is_dir())
    if not vintages:
        return {}
    files = [vintages[-1] / f"{d}.parquet" for d in departements if (vintages[-1] / f"{d}.parquet").exists()]
    if not files:
        return {}
    frame = pl.concat([pl.read_parquet(f) for f in files])
    out = {}
    for crs in frame["crs"].unique().to_list():
        part = frame.filter(pl.col("crs") == crs)
        xs, ys = transformer(crs, target).transform(part["x"].to_numpy(), part["y"].to_numpy())
        codes, n = part["code"].to_numpy(), part["n"].to_numpy()
        order = np.argsort(codes, kind="stable")
        bounds = np.flatnonzero(np.r_[True, codes[order][1:] != codes[order][:-1], True])
        for a, b in zip(bounds[:-1], bounds[1:]):
            idx = order[a:b]
            out[codes[idx[0]]] = (xs[idx], ys[idx], n[idx])
    return out


def left_behind(root: Path | None, commune: str) -> tuple[str | None, list[dict]]:
    """(vintage, buildings) of one commune below 30 Mbit/s by wire in the latest per-building
    import: identifier, address, premises, best wired class, inf8, wireless alternatives, and
    position in WGS84. None and [] when no import kept them; an import made before the
    technology mix (positions only) gives no buildings."""
    if root is None or not root.is_dir():
        return None, []
    vintages = sorted(d for d in root.iterdir() if d.is_dir())
    dep = commune[:3] if commune.startswith("97") else commune[:2]
    if not vintages or not (vintages[-1] / f"{dep}.parquet").exists():
        return None, []
    path = vintages[-1] / f"{dep}-sans-thd.parquet"
    if not path.exists():
        return vintages[-1].name, []
    frame = pl.read_parquet(path)
    order = [c for c in ("addr_nom_voie", "addr_nom_ld", "addr_numero", "imb_id") if c in frame.columns]
    frame = frame.filter(pl.col("code") == commune).sort(order, nulls_last=True)
    if not frame.height:
        return vintages[-1].name, []
    out = []
    for crs in frame["crs"].unique(maintain_order=True).to_list():
        part = frame.filter(pl.col("crs") == crs)
        lon, lat = transformer(crs, "EPSG:4326").transform(part["x"].to_numpy(), part["y"].to_numpy())
        for r, x, y in zip(part.drop("x", "y", "crs").to_dicts(), lon, lat):
            out.append({**r, "longitude": float(x), "latitude": float(y)})
    return vintages[-1].name, out
