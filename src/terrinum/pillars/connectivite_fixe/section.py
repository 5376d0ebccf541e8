"""The fixed-connectivity section of the territory page and diagnostic report."""

from __future__ import annotations

from terrinum.pillars import publication
from terrinum.pillars.connectivite_fixe import indicators as cf
from terrinum.pillars.maps import child_level, own_rows
from terrinum.svg import Feature, fixed_class, fixed_legend, line_chart, render_map

FTTH_BINS = [20, 40, 60, 80, 95]  # part_ftth classes (%), fixed so that maps compare


def compose(ctx) -> dict | None:
    """Key figures vs milestones, FttH curve, sub-unit choropleth and tables for one territory."""
    found = own_rows(ctx, cf.PILIER)
    if found is None:
        return None
    scope, rows = found
    territory, children = ctx.territory, ctx.children
    child_rows = {}
    level = child_level(ctx)
    for r in publication.rows(ctx.con, cf.PILIER, level, scope) if level else []:
        child_rows.setdefault(r["code"], []).append(r)
    speed = next((r for r in reversed(rows) if r["part_30mbits"] is not None), None)
    ftth = next((r for r in reversed(rows) if r["part_ftth"] is not None), None)
    curve = [(r["millesime"], r["part_ftth"]) for r in rows if r["part_ftth"] is not None]
    latest_children = []
    for c in children:
        series = child_rows.get(c.code, [])
        last_speed = next((r for r in reversed(series) if r["part_30mbits"] is not None), None)
        last_ftth = next((r for r in reversed(series) if r["part_ftth"] is not None), None)
        latest_children.append({"t": c, "url": ctx.url_of(c), "speed": last_speed, "ftth": last_ftth})
    features = [
        Feature(c["t"].nom, c["t"].geometrie_carte, c["url"], fixed_class(c["ftth"]["part_ftth"] if c["ftth"] else None, FTTH_BINS), ctx.group_of(c["t"]))
        for c in latest_children
    ]
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
        "projection_depassee": bool(ftth) and cf.passed(ftth["projection_ftth_100"]),
        # every projected quarter already over is said so, the 95 % one and the range's end too
        "p95_depassee": bool(ftth) and cf.passed(ftth["projection_ftth_95"]),
        "fourchette_depassee": bool(ftth) and cf.passed((ftth["projection_ftth_100_fourchette"] or "").split("–")[-1].strip()),
        "targets": targets,
        "courbe": line_chart(curve, f"Part des locaux raccordables à la fibre, {territory.nom}", target=100.0),
        "serie": rows,
        "carte": render_map(features, f"Part des locaux raccordables à la fibre par sous-territoire, {territory.nom}")
        if features and any(c["ftth"] for c in latest_children)
        else "",
        "legende": fixed_legend(FTTH_BINS),
        "enfants": latest_children,
        "par_code": {c["t"].code: c for c in latest_children},
        "en_retard": behind,
    }


def latest_speed(data: dict, code: str):
    return ((data["par_code"].get(code) or {}).get("speed") or {}).get("part_30mbits")


def latest_ftth(data: dict, code: str):
    return ((data["par_code"].get(code) or {}).get("ftth") or {}).get("part_ftth")
