"""The technology section of the territory page and diagnostic report: best wired technology,
wireless alternatives, premises left behind by wire (per building on a commune's page), and
the scope of the « Cohésion numérique des territoires » scheme."""

from __future__ import annotations

from terrinum.pillars import publication
from terrinum.pillars.maps import child_level, own_rows, sub_units
from terrinum.pillars.technologies import indicators as tc
from terrinum.sources.arcep_batiments import ALTERNATIVES, WIRED_CLASSES
from terrinum.svg import Feature, Marker, bar_chart, fixed_legend, render_map
from terrinum.warehouse import buildings, store

BEHIND_BINS = [1, 3, 5, 10, 20]  # share of premises below 8 Mbit/s by wire (%)
MAX_LISTED = 300  # buildings listed on the page (all of them in the CSV file)


def compose(ctx) -> dict | None:
    found = own_rows(ctx, tc.PILIER)
    if found is None:
        return None
    scope, rows = found
    row = rows[-1]  # latest vintage
    territory = ctx.territory
    level = child_level(ctx)
    child_rows = {}
    for r in publication.rows(ctx.con, tc.PILIER, level, scope) if level else []:
        child_rows[r["code"]] = r  # latest vintage last
    enfants, features = sub_units(ctx, child_rows, "part_filaire_inf8", BEHIND_BINS)
    wired = [{"cle": c, "libelle": tc.WIRED_LABELS[c], "locaux": row[f"locaux_techno_{c}"], "part": row[f"part_techno_{c}"]} for c in WIRED_CLASSES]
    behind = []
    for s, label in tc.BEHIND_LABELS.items():
        behind.append(
            {
                "libelle": label,
                "locaux": row[f"locaux_filaire_{s}"],
                "part": row[f"part_filaire_{s}"],
                "alternatives": [(tc.ALTERNATIVE_LABELS[a], row[f"locaux_{s}_{a}"]) for a in ALTERNATIVES],
                "satellite_seul": row[f"locaux_{s}_satellite_seul"],
                "sans_solution": row[f"locaux_{s}_sans_solution"],
            }
        )
    listing = None
    if territory.niveau == "commune" and not row["demo"]:
        vintage, found_buildings = buildings.left_behind(store.buildings_dir(ctx.con), territory.code)
        if vintage is not None:
            markers = [
                Marker(b["longitude"], b["latitude"], _address(b), "point sans-bon-debit" if b["inf8"] else "point sous-30", radius=3.0)
                for b in found_buildings
            ]
            outline = [Feature(territory.nom, territory.geometrie_carte, None, "zone contour")]
            listing = {
                "millesime": vintage,
                "immeubles": [described(b) for b in found_buildings[:MAX_LISTED]],
                "total": len(found_buildings),
                "locaux": sum(b["n"] for b in found_buildings),
                "carte": render_map(outline, f"Immeubles sous 30 Mbit/s en filaire, {territory.nom}", markers=markers) if found_buildings else "",
            }
    return {
        "row": row,
        "demo": row["demo"] or any(e["row"] and e["row"]["demo"] for e in enfants),
        "filaire": wired,
        "graphique": bar_chart(
            [(w["libelle"], w["part"]) for w in wired],
            f"Meilleure technologie filaire des locaux, {territory.nom}",
            reference=tc.PLAN_FTTH_SHARE,
            scale_max=100.0,
            reference_label=f"plan : {tc.PLAN_FTTH_SHARE:.0f} % en fibre",
        ),
        "objectif_ftth": tc.PLAN_FTTH_SHARE,
        "alternatives": [(tc.ALTERNATIVE_LABELS[a], row[f"locaux_alt_{a}"], row[f"part_alt_{a}"]) for a in ALTERNATIVES],
        "en_retrait": behind,
        "carte": render_map(features, f"Part des locaux sous 8 Mbit/s en filaire par sous-territoire, {territory.nom}")
        if any(e["row"] for e in enfants)
        else "",
        "legende": fixed_legend(BEHIND_BINS),
        "enfants": sorted((e for e in enfants if e["row"]), key=lambda e: -(e["row"]["part_filaire_inf8"] or 0))[:10],
        "par_code": {e["t"].code: e["row"] for e in enfants if e["row"]},
        "immeubles": listing,
    }


def described(b: dict) -> dict:
    """A building of the listing with its address, wired class and alternatives in words."""
    return {**b, "adresse": _address(b), "libelle_filaire": tc.WIRED_LABELS[b["classe_filaire"]], "alternatives": _alternatives(b)}


def _address(b: dict) -> str:
    street = " ".join(str(b[k]) for k in ("addr_numero", "addr_rep", "addr_nom_voie") if b.get(k))
    return street or b.get("addr_nom_ld") or f"immeuble {b.get('imb_id')}"


def _alternatives(b: dict) -> str:
    found = [tc.ALTERNATIVE_LABELS[a] for a in ALTERNATIVES if b.get(f"alt_{a}")]
    return ", ".join(found) or "aucune"


def below_8(data: dict, code: str):
    return (data["par_code"].get(code) or {}).get("part_filaire_inf8")
