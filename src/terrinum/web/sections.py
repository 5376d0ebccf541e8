"""Pillar sections of a territory page, read from the warehouse."""

from __future__ import annotations

from contextlib import contextmanager

import duckdb

from terrinum.diagnostic.svg import Feature, bar_chart, line_chart, render_map
from terrinum.indicators import connectivite_fixe as cf
from terrinum.indicators import connectivite_mobile as cm
from terrinum.indicators import fragilite as fr
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


def _legend(bins: list[float], unit: str = " %") -> list[tuple[int, str]]:
    """(class, label) of the classes that `bins` (upper bounds) cut, for map legends."""
    bounds = [None, *bins, None]
    out = []
    for i, (lo, hi) in enumerate(zip(bounds, bounds[1:])):
        out.append((i, f"moins de {hi}{unit}" if lo is None else (f"{lo}{unit} et plus" if hi is None else f"de {lo} à moins de {hi}{unit}")))
    return out


def fixed_connectivity(con, territory, children: list, group_of, url_of) -> dict | None:
    """Key figures vs milestones, FttH curve, sub-unit choropleth and tables for one territory."""
    if con is None or territory.niveau == "arrondissement":
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
        "legende": _legend(FTTH_BINS),
        "enfants": latest_children,
        "en_retard": behind,
    }


INDEX_BINS = [80, 95, 105, 120, 140]  # index classes, reference = 100


def _index_class(value: float | None) -> str:
    if value is None:
        return "zone sans-donnee"
    return f"zone classe-{sum(value >= b for b in INDEX_BINS)}"


def fragility(con, territory, children: list, group_of, url_of) -> dict | None:
    """The four axes against France (and against the parent département for a commune or
    EPCI), people at risk, sub-unit map and table."""
    if con is None or territory.niveau == "arrondissement":
        return None
    try:
        rows = fr.indicator_rows(con, territory.niveau, within=(territory.niveau, territory.code))
    except ValueError:
        return None
    own = next((r for r in rows if r["code"] == territory.code), None)
    if own is None:
        return None
    local = None
    if territory.niveau in ("commune", "epci") and territory.departement_code:
        local_rows = fr.indicator_rows(con, territory.niveau, within=(territory.niveau, territory.code), reference=f"departement:{territory.departement_code}")
        local = next((r for r in local_rows if r["code"] == territory.code), None)
    child_level = children[0].niveau if children else None
    child_rows = {}
    if child_level in ("region", "departement", "commune"):
        child_rows = {r["code"]: r for r in fr.indicator_rows(con, child_level, within=(territory.niveau, territory.code))}
    axes = [(fr.AXIS_LABELS[a], own[f"indice_{a}"]) for a in fr.AXES]
    table = [{"libelle": fr.AXIS_LABELS[a], "france": own[f"indice_{a}"], "local": local[f"indice_{a}"] if local else None} for a in fr.AXES]
    enfants = [{"t": c, "url": url_of(c), "row": child_rows.get(c.code)} for c in children]
    features = [Feature(e["t"].nom, e["t"].geometrie_carte, e["url"], _index_class(e["row"]["indice_global"] if e["row"] else None), group_of(e["t"])) for e in enfants]
    return {
        "row": own,
        "local": local,
        "axes": table,
        "graphique": bar_chart([*axes, ("Indice global", own["indice_global"])], f"Indice de fragilité numérique de {territory.nom} (France = 100)"),
        "carte": render_map(features, f"Indice global de fragilité numérique des sous-territoires de {territory.nom}") if any(e["row"] for e in enfants) else "",
        "legende": _legend(INDEX_BINS, ""),
        "par_code": {e["t"].code: e["row"] for e in enfants if e["row"]},
        "plus_fragiles": sorted((e for e in enfants if e["row"] and e["row"]["indice_global"] is not None), key=lambda e: -e["row"]["indice_global"])[:10],
        "demo": own["demo"],
        "sans_4g": own["part_pop_sans_4g"] is None,
    }


MOBILE_BINS = [50, 75, 90, 95, 99]  # share of the population with good 4G from its best operator


def _mobile_class(value: float | None) -> str:
    if value is None:
        return "zone sans-donnee"
    return f"zone classe-{sum(value >= b for b in MOBILE_BINS)}"


def mobile_connectivity(con, territory, children: list, group_of, url_of) -> dict | None:
    """Per-operator 4G table, zones blanches, sub-unit choropleth, New Deal sites."""
    if con is None or territory.niveau == "arrondissement":
        return None
    own = [r for r in cm.indicator_rows(con, territory.niveau, within=(territory.niveau, territory.code)) if r["code"] == territory.code]
    if not own:
        return None
    latest = own[-1]
    operators = cm.by_operator(con, territory.niveau, territory.code)
    child_rows = {}
    child_level = children[0].niveau if children else None
    if child_level in ("region", "departement", "commune"):
        for r in cm.indicator_rows(con, child_level, within=(territory.niveau, territory.code)):
            child_rows[r["code"]] = r  # latest vintage last
    sites = cm.new_deal_sites(con, (territory.niveau, territory.code)) if territory.niveau != "pays" else []
    enfants = [{"t": c, "url": url_of(c), "row": child_rows.get(c.code)} for c in children]
    features = [Feature(e["t"].nom, e["t"].geometrie_carte, e["url"], _mobile_class(e["row"]["part_pop_4g_bonne_au_moins_un_min"] if e["row"] else None), group_of(e["t"])) for e in enfants]
    gaps = sorted((e for e in enfants if e["row"] and e["row"]["pop_zone_blanche_4g_max"]), key=lambda e: -e["row"]["pop_zone_blanche_4g_max"])[:10]
    return {
        "row": latest,
        "operateurs": operators,
        "demo": latest["demo"],
        "carte": render_map(features, f"Couverture 4G des sous-territoires de {territory.nom}") if any(e["row"] for e in enfants) else "",
        "legende": _legend(MOBILE_BINS),
        "zones_blanches": gaps,
        "par_code": {e["t"].code: e["row"] for e in enfants if e["row"]},
        "new_deal": sites,
        "en_retard": sum(1 for s in sites if s["statut"] == "en retard"),
    }


COMPARISON_COLUMNS = {
    "nom": "Territoire",
    "population": "Population",
    "part_30mbits": "≥ 30 Mbit/s (%)",
    "part_ftth": "Fibre (%)",
    "part_4g": "Bonne 4G, meilleur opérateur (%)",
    "indice_fragilite": "Fragilité (France = 100)",
}


def comparison(children: list, url_of, pillars: dict, sort: str, order: str) -> dict | None:
    """Every sub-unit on every pillar's headline indicator, in one sortable table."""
    cf_rows = {e["t"].code: e for e in (pillars.get("cf") or {}).get("enfants", [])}
    cm_rows = (pillars.get("cm") or {}).get("par_code", {})
    fr_rows = (pillars.get("fr") or {}).get("par_code", {})
    if not children or not (cf_rows or cm_rows or fr_rows):
        return None
    rows = []
    for c in children:
        cf_row = cf_rows.get(c.code) or {}
        rows.append(
            {
                "t": c,
                "url": url_of(c),
                "nom": c.nom,
                "population": c.population,
                "part_30mbits": (cf_row.get("speed") or {}).get("part_30mbits"),
                "part_ftth": (cf_row.get("ftth") or {}).get("part_ftth"),
                "part_4g": (cm_rows.get(c.code) or {}).get("part_pop_4g_bonne_au_moins_un_min"),
                "indice_fragilite": (fr_rows.get(c.code) or {}).get("indice_global"),
            }
        )
    if sort not in COMPARISON_COLUMNS:
        sort = "indice_fragilite"
    descending = order != "asc"
    present = [r for r in rows if r[sort] is not None]
    missing = [r for r in rows if r[sort] is None]
    present.sort(key=lambda r: r[sort] if sort != "nom" else r["t"].nom_recherche, reverse=descending)
    links = {}
    for key, label in COMPARISON_COLUMNS.items():
        next_order = "asc" if sort == key and descending else "desc"
        links[key] = {"libelle": label, "url": f"?comparer={key}&sens={next_order}#comparaison", "actif": key == sort, "ordre": "descending" if descending else "ascending"}
    demo = any((pillars.get(p) or {}).get("demo") for p in ("cf", "cm", "fr"))
    return {"lignes": present + missing, "colonnes": links, "demo": demo}


ACCESS_BINS = [1, 5, 10, 20, 40]  # share of the population beyond 10 km of any place (%)


def _access_class(value: float | None) -> str:
    if value is None:
        return "zone sans-donnee"
    return f"zone classe-{sum(value >= b for b in ACCESS_BINS)}"


def inclusion(territory, children: list, group_of, url_of) -> dict | None:
    """Places of the registry: nearest ones for a commune; accessibility (population beyond
    5/10/20 km of any place) for the territory and its sub-units."""
    from django.utils import timezone

    from terrinum.inclusion import services as places
    from terrinum.inclusion.models import Lieu
    from terrinum.planning import accessibility

    if territory.niveau == "arrondissement":
        return None
    total = Lieu.objects.count()
    if total == 0:
        return {"vide": True}
    own = accessibility.indicator_rows(territory.niveau, [territory.code])
    out = {"vide": False, "row": own[0].as_dict() if own else None, "seuils": accessibility.THRESHOLDS_KM, "methode": accessibility.METHOD}
    if territory.niveau == "commune":
        mairie = territory.mairie or {}
        lat, lon = (mairie.get("latitude"), mairie.get("longitude")) if mairie.get("latitude") is not None else (territory.latitude, territory.longitude)
        now = timezone.localtime()
        out["proches"] = [{"lieu": f.lieu, "distance_km": f.distance_km, "ouvert": f.ouvert} for f in places.nearest(lat, lon, now, limit=5)]
        return out
    child_level = children[0].niveau if children else None
    if child_level in ("region", "departement", "commune"):
        rows = {r.code: r.as_dict() for r in accessibility.indicator_rows(child_level, [c.code for c in children])}
        enfants = [{"t": c, "url": url_of(c), "row": rows.get(c.code)} for c in children]
        features = [Feature(e["t"].nom, e["t"].geometrie_carte, e["url"], _access_class(e["row"]["part_au_dela_10km"] if e["row"] else None), group_of(e["t"])) for e in enfants]
        out["carte"] = render_map(features, f"Part de la population à plus de 10 km d'un lieu d'accompagnement, sous-territoires de {territory.nom}")
        out["legende"] = _legend(ACCESS_BINS, " %")
        out["plus_eloignes"] = sorted((e for e in enfants if e["row"] and e["row"]["pop_au_dela_10km"]), key=lambda e: -e["row"]["pop_au_dela_10km"])[:10]
    return out
