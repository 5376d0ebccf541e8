"""Building positions and premises kept beside the warehouse by per-building imports (one
Parquet file per vintage and département, with a manifest per vintage), read back to spread population over premises
(mobile coverage, accessibility)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl

from terrinum.sources.arcep_batiments import LEFT_BEHIND_FILE, POSITIONS_FILE

MANIFEST = "manifest.json"


def missing(folder: Path, departements) -> list[str]:
    """The départements whose positions file is not in `folder` (a crash after the commit)."""
    return sorted(d for d in departements if not (folder / POSITIONS_FILE.format(d)).exists())


def promote(staging: Path, folder: Path, partitions: dict[str, dict]) -> int:
    """Move the per-département files a per-building import wrote in `staging` into its
    vintage folder (each file replaced whole, the positions last: their file says the
    département's files are all there), then record the partitions in the vintage's
    manifest (what each read and wrote, and when). Other départements and other vintages
    are not touched. Returns the number of building positions."""
    folder.mkdir(parents=True, exist_ok=True)
    written = 0
    for dep, info in sorted(partitions.items()):
        for name in (LEFT_BEHIND_FILE.format(dep), POSITIONS_FILE.format(dep)):
            if (staging / name).exists():
                (staging / name).replace(folder / name)
            else:  # not produced this time (no coordinates in the file): no stale file kept
                (folder / name).unlink(missing_ok=True)
        written += info.get("positions", 0)
    manifest = read_manifest(folder)
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    manifest["millesime"] = folder.name
    manifest.setdefault("partitions", {}).update({dep: {**info, "ecrit": now} for dep, info in partitions.items()})
    tmp = folder / (MANIFEST + ".tmp")
    tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True))
    tmp.replace(folder / MANIFEST)
    return written


def vintage_folders(root: Path) -> list[Path]:
    """The vintage folders, oldest first (not the staging folders of imports under way)."""
    return sorted(d for d in root.iterdir() if d.is_dir() and not d.name.startswith("."))


def read_manifest(folder: Path) -> dict:
    """A vintage folder's manifest ({} when none: written before manifests existed)."""
    path = folder / MANIFEST
    return json.loads(path.read_text()) if path.exists() else {}


def points_by_commune(root: Path | None, departements: list[str], target: str) -> dict[str, tuple]:
    """Positions (in `target`) and premises of the buildings of the latest per-building
    import, per commune: {code: (x, y, premises)}. Empty when none was imported."""
    if root is None or not root.is_dir():
        return {}
    vintages = vintage_folders(root)
    if not vintages:
        return {}
    files = [vintages[-1] / POSITIONS_FILE.format(d) for d in departements if (vintages[-1] / POSITIONS_FILE.format(d)).exists()]
    if not files:
        return {}
    import numpy as np

    from terrinum.territories.reference import transformer  # pyproj: for readers, not for imports (0.1 s)

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
    vintages = vintage_folders(root)
    dep = commune[:3] if commune.startswith("97") else commune[:2]
    if not vintages or not (vintages[-1] / POSITIONS_FILE.format(dep)).exists():
        return None, []
    path = vintages[-1] / LEFT_BEHIND_FILE.format(dep)
    if not path.exists():
        return vintages[-1].name, []
    frame = pl.read_parquet(path)
    order = [c for c in ("addr_nom_voie", "addr_nom_ld", "addr_numero", "imb_id") if c in frame.columns]
    frame = frame.filter(pl.col("code") == commune).sort(order, nulls_last=True)
    if not frame.height:
        return vintages[-1].name, []
    from terrinum.territories.reference import transformer

    out = []
    for crs in frame["crs"].unique(maintain_order=True).to_list():
        part = frame.filter(pl.col("crs") == crs)
        lon, lat = transformer(crs, "EPSG:4326").transform(part["x"].to_numpy(), part["y"].to_numpy())
        for r, x, y in zip(part.drop("x", "y", "crs").to_dicts(), lon, lat):
            out.append({**r, "longitude": float(x), "latitude": float(y)})
    return vintages[-1].name, out
