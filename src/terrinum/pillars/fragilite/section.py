"""The digital-fragility section of the territory page and diagnostic report."""

from __future__ import annotations

from terrinum.pillars.fragilite import indicators as fr
from terrinum.pillars.maps import child_level, own_rows, sub_units
from terrinum.svg import bar_chart, fixed_legend, render_map

INDEX_BINS = [80, 95, 105, 120, 140]  # index classes, reference = 100


def compose(ctx) -> dict | None:
    """The four axes against France (and against the parent département for a commune or
    EPCI), people at risk, sub-unit map and table."""
    try:
        found = own_rows(ctx, fr.indicator_rows)
    except ValueError:
        return None
    if found is None:
        return None
    scope, (own, *_) = found
    territory = ctx.territory
    local = None
    if territory.niveau in ("commune", "epci") and territory.departement_code:
        found_local = own_rows(ctx, fr.indicator_rows, reference=f"departement:{territory.departement_code}")
        local = found_local[1][0] if found_local else None
    level = child_level(ctx)
    child_rows = {r["code"]: r for r in fr.indicator_rows(ctx.con, level, within=scope)} if level else {}
    axes = [(fr.AXIS_LABELS[a], own[f"indice_{a}"]) for a in fr.AXES]
    table = [{"libelle": fr.AXIS_LABELS[a], "france": own[f"indice_{a}"], "local": local[f"indice_{a}"] if local else None} for a in fr.AXES]
    enfants, features = sub_units(ctx, child_rows, "indice_global", INDEX_BINS)
    return {
        "row": own,
        "local": local,
        "axes": table,
        "graphique": bar_chart([*axes, ("Indice global", own["indice_global"])], f"Indice de fragilité numérique de {territory.nom} (France = 100)"),
        "carte": render_map(features, f"Indice global de fragilité numérique des sous-territoires de {territory.nom}")
        if any(e["row"] for e in enfants)
        else "",
        "legende": fixed_legend(INDEX_BINS, ""),
        "par_code": {e["t"].code: e["row"] for e in enfants if e["row"]},
        "plus_fragiles": sorted((e for e in enfants if e["row"] and e["row"]["indice_global"] is not None), key=lambda e: -e["row"]["indice_global"])[:10],
        "demo": own["demo"],
        "sans_4g": own["part_pop_sans_4g"] is None,
    }


def global_index(data: dict, code: str):
    return (data["par_code"].get(code) or {}).get("indice_global")
