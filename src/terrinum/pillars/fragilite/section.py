"""The digital-fragility section of the territory page and diagnostic report."""

from __future__ import annotations

from terrinum.pillars import publication
from terrinum.pillars.fragilite import indicators as fr
from terrinum.pillars.maps import child_level, own_rows, sub_units
from terrinum.svg import bar_chart, fixed_legend, render_map
from terrinum.territories.helpers import TerritorySet

# Words for the classes cut by fr.INDEX_BINS (1–10 scale), used in the text and the legend.
READINGS = ("faible", "plutôt faible", "moyen", "plutôt élevé", "élevé", "très élevé")


def reading(index: float | None) -> str | None:
    """The word for an index's class (none without an index)."""
    return None if index is None else READINGS[sum(index >= b for b in fr.INDEX_BINS)]


def compose(ctx) -> dict | None:
    """The five criteria and their notes, the index beside France's (and the parent
    département's for a commune or EPCI), context indicators, people at risk, sub-unit map
    and table."""
    try:
        found = own_rows(ctx, fr.PILIER)
    except ValueError:
        return None
    if found is None:
        return None
    scope, (own, *_) = found
    territory = ctx.territory
    france = publication.rows(ctx.con, fr.PILIER, "pays")[0] if territory.niveau != "pays" else own
    departement = None  # the parent département's index and the gap to it
    if territory.niveau in ("commune", "epci") and territory.departement_code and own["indice_global"] is not None:
        dep = publication.rows(ctx.con, fr.PILIER, "departement", TerritorySet.of("departement", territory.departement_code))
        if dep and dep[0]["indice_global"] is not None:
            departement = {"indice_reference": dep[0]["indice_global"], "ecart_reference": round(own["indice_global"] - dep[0]["indice_global"], 1)}
    level = child_level(ctx)
    child_rows = {r["code"]: r for r in publication.rows(ctx.con, fr.PILIER, level, scope)} if level else {}
    criteria = [{"libelle": label, "valeur": own[c], "france": france[c], "note": own[f"score_{c}"]} for c, label in fr.CRITERIA.items()]
    context = [{"libelle": label, "valeur": own[c], "france": france[c]} for c, label in fr.CONTEXT.items() if own[c] is not None]
    enfants, features = sub_units(ctx, child_rows, "indice_global", fr.INDEX_BINS)
    bars = [(c["libelle"], c["note"]) for c in criteria] + [("Indice de fragilité", own["indice_global"])]
    france_index = france["indice_global"]
    return {
        "row": own,
        "lecture": reading(own["indice_global"]),
        "france": france,
        "departement": departement,
        "criteres": criteria,
        "contexte": context,
        "absents": [label for c, label in fr.CRITERIA.items() if own[f"score_{c}"] is None],
        "graphique": bar_chart(
            bars,
            f"Notes de fragilité numérique {territory.de_nom} (sur 10)",
            reference=france_index,
            scale_max=10,
            reference_label=f"France : {france_index:.1f}".replace(".", ","),
        )
        if france_index is not None
        else "",
        "carte": render_map(features, f"Indice de fragilité numérique des sous-territoires {territory.de_nom}") if any(e["row"] for e in enfants) else "",
        "legende": fixed_legend(fr.INDEX_BINS, ""),
        "par_code": {e["t"].code: e["row"] for e in enfants if e["row"]},
        "plus_fragiles": sorted((e for e in enfants if e["row"] and e["row"]["indice_global"] is not None), key=lambda e: -e["row"]["indice_global"])[:10],
        "demo": own["demo"],
    }


def global_index(data: dict, code: str):
    return (data["par_code"].get(code) or {}).get("indice_global")
