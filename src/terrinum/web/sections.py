"""Pillar sections of a territory page, read from the warehouse."""

from __future__ import annotations

from contextlib import contextmanager

import duckdb

from terrinum.diagnostic.svg import Feature, line_chart, render_map
from terrinum.indicators import connectivite_fixe as cf
from terrinum.warehouse import store

FTTH_BINS = [20, 40, 60, 80, 95]  # part_ftth classes (%), fixed so that maps compare


@contextmanager
def warehouse():
    """A read-only connection, or None when there is no warehouse (or it is being written)."""
    path = store.warehouse_path()
    if not path.exists():
        yield None
        return
    try:
        con = store.connect(path, read_only=True)
    except duckdb.Error:
        yield None
        return
    try:
        yield con
    finally:
        con.close()


def _bin(value: float | None) -> str:
    if value is None:
        return "zone sans-donnee"
    return f"zone classe-{sum(value >= b for b in FTTH_BINS)}"


def _legend() -> list[tuple[int, str]]:
    bounds = [None, *FTTH_BINS, None]
    out = []
    for i, (lo, hi) in enumerate(zip(bounds, bounds[1:])):
        out.append((i, f"moins de {hi} %" if lo is None else (f"{lo} % et plus" if hi is None else f"de {lo} à moins de {hi} %")))
    return out


def fixed_connectivity(territory, children: list, group_of, url_of) -> dict | None:
    """Key figures vs milestones, FttH curve, sub-unit choropleth and tables for one territory."""
    if territory.niveau == "arrondissement":
        return None
    with warehouse() as con:
        if con is None:
            return None
        rows = [r for r in cf.indicator_rows(con, territory.niveau, within=(territory.niveau, territory.code)) if r["code"] == territory.code]
        if not rows:
            return None
        child_rows = {}
        child_level = children[0].niveau if children else None
        if child_level in ("region", "departement", "commune"):
            for r in cf.indicator_rows(con, child_level, within=(territory.niveau, territory.code)):
                child_rows.setdefault(r["code"], []).append(r)
    speed = next((r for r in reversed(rows) if r["part_30mbits"] is not None), None)
    ftth = next((r for r in reversed(rows) if r["part_ftth"] is not None), None)
    curve = [(r["millesime"], r["part_ftth"]) for r in rows if r["part_ftth"] is not None]
    latest_children = []
    for c in children:
        series = child_rows.get(c.code, [])
        last_speed = next((r for r in reversed(series) if r["part_30mbits"] is not None), None)
        last_ftth = next((r for r in reversed(series) if r["part_ftth"] is not None), None)
        latest_children.append({"t": c, "url": url_of(c), "speed": last_speed, "ftth": last_ftth})
    features = [Feature(c["t"].nom, c["t"].geometrie_carte, c["url"], _bin(c["ftth"]["part_ftth"] if c["ftth"] else None), group_of(c["t"])) for c in latest_children]
    targets = []
    for t in cf.TARGETS:
        row = ftth if t.key == "ftth" else speed
        targets.append(
            {
                "libelle": t.libelle,
                "echeance": t.echeance,
                "row": row,
                "atteint": row[f"objectif_{t.key}_atteint"] if row else None,
                "manquants": row[f"locaux_manquants_{t.key}"] if row else None,
            }
        )
    behind = sorted((c for c in latest_children if c["speed"]), key=lambda c: c["speed"]["part_30mbits"])[:10]
    return {
        "demo": any(r["demo"] for r in rows) or any(c["ftth"] and c["ftth"]["demo"] for c in latest_children),
        "speed": speed,
        "ftth": ftth,
        "targets": targets,
        "courbe": line_chart(curve, f"Part des locaux raccordables à la fibre, {territory.nom}", target=100.0),
        "serie": rows,
        "carte": render_map(features, f"Part des locaux raccordables à la fibre par sous-territoire, {territory.nom}") if features and any(c["ftth"] for c in latest_children) else "",
        "legende": _legend(),
        "enfants": latest_children,
        "en_retard": behind,
    }
