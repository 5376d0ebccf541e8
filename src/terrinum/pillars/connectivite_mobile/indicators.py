"""Connectivité mobile (New Deal Mobile): sites per technology and 4G coverage per operator.

Inputs (warehouse, commune level): cm_sites (`terrinum ingest arcep-mobile-sites`) and
cm_couverture (`arcep-mobile-communes` or `arcep-mobile-couverture`: shares of area and
population per coverage level).
Coverage shares roll up weighted by population (population shares) or by area (area
shares), from the référentiel. Coverage "by at least one operator" and "by all operators"
is exact where coverage polygons were imported (cm_combinaison); from per-operator commune
statistics alone it is bounded: the best operator's share is a lower bound of the first,
the worst operator's share an upper bound of the second. New Deal sites: cm_newdeal.
"""

from __future__ import annotations

import duckdb

from terrinum.pillars.connectivite_mobile.tables import COMBINATIONS, TABLES
from terrinum.territories.helpers import TerritorySet
from terrinum.warehouse import store
from terrinum.warehouse.rollup import JOINS, declare, level_key, within_codes

PILIER = "connectivite-mobile"
OPERATOR_LABELS = {"OF": "Orange", "SFR0": "SFR", "BOUY": "Bouygues Telecom", "FREE": "Free Mobile"}
COLUMNS = [
    "code", "nom", "niveau", "millesime", "source", "demo", "operateur",
    "nb_sites", "nb_sites_2g", "nb_sites_3g", "nb_sites_4g",
    "part_pop_4g_bonne", "part_surface_4g_bonne", "part_pop_4g_aucune",
    "part_pop_4g_bonne_au_moins_un", "part_pop_4g_bonne_tous", "pop_zone_blanche_4g", "operateurs_combines",
    "part_pop_4g_bonne_au_moins_un_min", "part_pop_4g_bonne_tous_max", "pop_zone_blanche_4g_max",
    "nd_sites_decides", "nd_sites_en_service", "nd_sites_en_retard", "nd_sites_en_service_en_retard",
]  # fmt: skip

_WEIGHTED = "moyenne des communes pondérée par leur population"
declare(
    PILIER,
    (
        ("operateur", "Opérateur", None, "OF (Orange), SFR0 (SFR), BOUY (Bouygues Telecom), FREE (Free Mobile) ; « tous » sans --operateur"),
        ("nb_sites", "Sites mobiles", "sites", "somme des communes"),
        ("nb_sites_2g", "Sites mobiles 2G", "sites", "somme des communes"),
        ("nb_sites_3g", "Sites mobiles 3G", "sites", "somme des communes"),
        ("nb_sites_4g", "Sites mobiles 4G", "sites", "somme des communes"),
        ("part_pop_4g_bonne", "Population en bonne ou très bonne couverture 4G de l'opérateur", "%", f"avec --operateur seulement ; {_WEIGHTED}"),
        (
            "part_surface_4g_bonne",
            "Surface en bonne ou très bonne couverture 4G de l'opérateur",
            "%",
            "avec --operateur seulement ; moyenne des communes pondérée par leur surface",
        ),
        ("part_pop_4g_aucune", "Population sans couverture 4G de l'opérateur", "%", f"avec --operateur seulement ; {_WEIGHTED}"),
        (
            "part_pop_4g_bonne_au_moins_un",
            "Population en bonne couverture 4G d'au moins un opérateur (exact)",
            "%",
            f"union des zones des opérateurs importées en polygones ; {_WEIGHTED}",
        ),
        (
            "part_pop_4g_bonne_tous",
            "Population en bonne couverture 4G de tous les opérateurs combinés (exact)",
            "%",
            f"intersection des zones des opérateurs de operateurs_combines ; {_WEIGHTED}",
        ),
        (
            "pop_zone_blanche_4g",
            "Habitants hors de toute zone couverte en 4G (exact)",
            "habitants",
            "population × part hors de l'union des zones couvertes, somme des communes",
        ),
        ("operateurs_combines", "Opérateurs dont les polygones ont été combinés", None, "liste des opérateurs importés en polygones"),
        (
            "part_pop_4g_bonne_au_moins_un_min",
            "Borne basse : population en bonne couverture 4G d'au moins un opérateur",
            "%",
            f"meilleur opérateur (statistiques par opérateur) ; {_WEIGHTED}",
        ),
        (
            "part_pop_4g_bonne_tous_max",
            "Borne haute : population en bonne couverture 4G de tous les opérateurs",
            "%",
            f"moins bon opérateur (statistiques par opérateur) ; {_WEIGHTED}",
        ),
        (
            "pop_zone_blanche_4g_max",
            "Borne haute : habitants sans aucune 4G",
            "habitants",
            "moins de population sans 4G parmi les opérateurs, appliqué à la population du territoire",
        ),
        ("nd_sites_decides", "Sites New Deal décidés par arrêté", "sites", "somme des communes"),
        ("nd_sites_en_service", "Sites New Deal en service", "sites", "somme des communes"),
        ("nd_sites_en_retard", "Sites New Deal en retard (pas en service 24 mois après l'arrêté)", "sites", "somme des communes, à la date du jour"),
        (
            "nd_sites_en_service_en_retard",
            "Sites New Deal mis en service après leur échéance",
            "sites",
            "somme des communes : en service, mais après les 24 mois de l'arrêté",
        ),
    ),
)


def _filters(key: str, keep, operateur, operator_clause: str) -> tuple[str, list]:
    """WHERE clause and parameters: units at the level, restricted to `keep` and `operateur`."""
    where, params = [f"{key} IS NOT NULL"], []
    if keep is not None:
        where.append(f"{key} IN (SELECT unnest(?))")
        params.append(keep)
    if operateur:
        where.append(operator_clause)
        params.append(operateur)
    return " AND ".join(where), params


def _sites(con, niveau, keep, operateur):
    key = level_key(niveau)
    where, params = _filters(key, keep, operateur, "t.operateur = ?")
    rows = con.execute(
        f"""SELECT {key}, t.millesime, count(*), sum(site_2g), sum(site_3g), sum(site_4g), bool_or(t.demo), string_agg(DISTINCT t.source, ' + ')
            FROM cm_sites t {JOINS} WHERE {where} GROUP BY ALL""",
        params,
    ).fetchall()
    return {(code, m): {"nb_sites": n, "nb_sites_2g": s2, "nb_sites_3g": s3, "nb_sites_4g": s4, "demo": demo, "source": src}
            for code, m, n, s2, s3, s4, demo, src in rows}  # fmt: skip


def _coverage(con, niveau, keep, operateur):
    """4G shares per operator, weighted by the commune's population (or area) in the unit."""
    key = level_key(niveau)
    where = [f"{key} IS NOT NULL", "t.techno = '4G'"]
    params: list = []
    if keep is not None:
        where.append(f"{key} IN (SELECT unnest(?))")
        params.append(keep)
    rows = con.execute(
        f"""WITH per_op AS (
                SELECT {key} AS code, t.millesime, t.operateur,
                       sum((t.part_pop_bc + t.part_pop_tbc) * r.population) / nullif(sum(r.population), 0) AS pop_bonne,
                       sum(t.part_pop_nc * r.population) / nullif(sum(r.population), 0) AS pop_aucune,
                       sum((t.part_surface_bc + t.part_surface_tbc) * s.surface) / nullif(sum(s.surface), 0) AS surface_bonne,
                       sum(r.population) AS population, bool_or(t.demo) AS demo, string_agg(DISTINCT t.source, ' + ') AS source
                FROM cm_couverture t {JOINS}
                LEFT JOIN (SELECT code, superficie_km2 AS surface FROM ref_commune_geom) s ON s.code = t.code_commune
                WHERE {" AND ".join(where)} GROUP BY ALL)
            SELECT * FROM per_op""",
        params,
    ).fetchall()
    out: dict[tuple, dict] = {}
    for code, m, op, pop_bonne, pop_aucune, surf_bonne, population, demo, source in rows:
        d = out.setdefault((code, m), {"ops": {}, "population": population, "demo": False, "source": source})
        d["ops"][op] = (pop_bonne, pop_aucune, surf_bonne)
        d["demo"] |= demo
    return out


def _combined(con, niveau, keep):
    """Exact combinations of operators from coverage polygons (population spread uniformly):
    good 4G from at least one operator, from every operator present, and no 4G at all."""
    if not store.tables_exist(con, [COMBINATIONS]):
        return {}
    key = level_key(niveau)
    where, params = _filters(key, keep, None, "")
    rows = con.execute(
        f"""SELECT {key}, t.millesime,
                   sum(t.part_bonne_au_moins_un * r.population) / nullif(sum(r.population), 0),
                   sum(t.part_bonne_tous * r.population) / nullif(sum(r.population), 0),
                   sum(t.part_aucune * r.population) / 100, min(t.n_operateurs), string_agg(DISTINCT t.operateurs, ' ; ')
            FROM (SELECT * FROM cm_combinaison WHERE techno = '4G') t {JOINS}
            WHERE {where} GROUP BY ALL""",
        params,
    ).fetchall()
    return {(code, m): {"au_moins_un": one, "tous": every, "aucune": none, "n": n, "ops": ops} for code, m, one, every, none, n, ops in rows}


def _new_deal(con, niveau, keep, operateur, today):
    """New Deal sites per territory: decided, in service, late (deadline passed, not in
    service), and put in service after their deadline (the lateness is kept)."""
    key = level_key(niveau)
    where, params = _filters(key, keep, operateur, "list_contains(string_split(t.operateurs, ','), ?)")
    rows = con.execute(
        f"""SELECT {key}, t.millesime, count(*), count(*) FILTER (WHERE t.en_service),
                   count(*) FILTER (WHERE NOT t.en_service AND t.echeance < ?::DATE),
                   count(*) FILTER (WHERE t.en_service AND t.date_mise_en_service > t.echeance),
                   bool_or(t.demo), string_agg(DISTINCT t.source, ' + ')
            FROM cm_newdeal t {JOINS} WHERE {where} GROUP BY ALL""",
        [today, *params],
    ).fetchall()
    return {(code, m): {"nd_sites_decides": n, "nd_sites_en_service": done, "nd_sites_en_retard": late, "nd_sites_en_service_en_retard": late_done,
                        "demo": demo, "source": src}
            for code, m, n, done, late, late_done, demo, src in rows}  # fmt: skip


def without_good_4g(con, niveau: str, codes: list[str] | None) -> dict[str, tuple[float, bool, str]]:
    """Per territory, from its latest vintage that measures it: 100 − the share of the
    population with good 4G from at least one operator (exact from polygons, else the best
    operator's share), whether it rests on demonstration values, and its source label.
    Reads only the coverage tables (what the fragility index needs)."""
    if not store.tables_exist(con, TABLES):
        return {}
    coverage = _coverage(con, niveau, codes, None)
    combined = _combined(con, niveau, codes)
    out = {}
    for code, m in sorted(set(coverage) | set(combined)):
        exact, c = combined.get((code, m)), coverage.get((code, m))
        best = round(exact["au_moins_un"], 2) if exact else None
        if best is None and c:
            shares = [v[0] for v in c["ops"].values() if v[0] is not None]
            best = round(max(shares), 2) if shares else None
        if best is not None:
            out[code] = (100 - best, bool(c and c["demo"]), f"connectivité mobile {m}")
    return out


def by_operator(con, niveau: str, code: str) -> list[dict]:
    """Latest 4G shares and sites of each operator in one territory (two queries)."""
    keep = [code]
    coverage = _coverage(con, niveau, keep, None)
    latest = max((m for (_, m) in coverage), default=None)
    ops = coverage.get((code, latest), {}).get("ops", {}) if latest else {}
    key = level_key(niveau)
    sites = dict(
        con.execute(
            f"""SELECT t.operateur, sum(site_4g) FROM cm_sites t {JOINS}
                WHERE {key} = ? AND t.millesime = (SELECT max(millesime) FROM cm_sites) GROUP BY 1""",
            [code],
        ).fetchall()
    )
    out = []
    for op in sorted(set(ops) | set(sites)):
        pop_bonne, pop_aucune, surface_bonne = ops.get(op, (None, None, None))
        out.append({
            "operateur": op, "libelle": OPERATOR_LABELS.get(op, f"MCC-MNC {op}"), "millesime": latest,
            "part_pop_4g_bonne": pop_bonne, "part_pop_4g_aucune": pop_aucune, "part_surface_4g_bonne": surface_bonne,
            "nb_sites_4g": sites.get(op),
        })  # fmt: skip
    return out


def late_days(site: dict, today) -> int | None:
    """Days past the deadline: until the site was put in service, or until today while it is
    not; None when it was (or still is) within its deadline."""
    end = site["date_mise_en_service"] if site["en_service"] else today
    if end is None or site["echeance"] is None or end <= site["echeance"]:
        return None
    return (end - site["echeance"]).days


def status(site: dict, today) -> str:
    """« en service », « en service avec N jours de retard », « en retard de N jours »,
    « dans les délais »: a site put in service late keeps its lateness."""
    days = late_days(site, today)
    if site["en_service"]:
        return f"en service avec {days} jour{'s' if days > 1 else ''} de retard" if days else "en service"
    return f"en retard de {days} jour{'s' if days > 1 else ''}" if days else "dans les délais"


def new_deal_sites(con, within: TerritorySet, today=None) -> list[dict]:
    """The New Deal sites of a territory with their deadline and status."""
    import datetime as dt

    today = today or dt.date.today()
    if not store.tables_exist(con, ["cm_newdeal"]):
        return []
    codes = within_codes(con, "commune", within)
    rows = con.execute(
        """SELECT t.code_commune, r.nom, t.num_arrete, t.date_publication, t.echeance, t.operateurs, t.origine_zone,
                  t.date_mise_en_service, t.en_service, t.demo
           FROM cm_newdeal t JOIN ref_commune r ON r.code = t.code_commune
           WHERE t.code_commune IN (SELECT unnest(?)) ORDER BY t.echeance, r.nom, t.en_service""",
        [codes or []],
    ).fetchall()
    keys = ["code", "nom", "num_arrete", "date_publication", "echeance", "operateurs", "origine_zone", "date_mise_en_service", "en_service", "demo"]
    out = []
    for row in rows:
        d = dict(zip(keys, row))
        d["retard_jours"] = late_days(d, today)
        d["statut"] = status(d, today)
        out.append(d)
    return out


def indicator_rows(
    con: duckdb.DuckDBPyConnection,
    niveau: str,
    within: TerritorySet | None = None,
    operateur: str | None = None,
    today=None,
    codes: list[str] | None = None,
) -> list[dict]:
    """One row per territory and vintage; `within` or explicit `codes` restrict the units."""
    import datetime as dt

    if not store.tables_exist(con, TABLES):
        return []
    keep = codes if codes is not None else within_codes(con, niveau, within)
    sites = _sites(con, niveau, keep, operateur)
    coverage = _coverage(con, niveau, keep, operateur)
    new_deal = _new_deal(con, niveau, keep, operateur, today or dt.date.today())
    combined = _combined(con, niveau, keep)
    names = store.territory_names(con, niveau, list(keep) if keep is not None else None)
    rows = []
    for code, m in sorted(set(sites) | set(coverage) | set(new_deal)):
        s, c, nd = sites.get((code, m), {}), coverage.get((code, m)), new_deal.get((code, m), {})
        exact = combined.get((code, m))
        row = {"code": code, "nom": names.get(code, "(non rattachées)"), "niveau": niveau, "millesime": m, "operateur": operateur or "tous"}
        row.update({k: s.get(k) for k in ("nb_sites", "nb_sites_2g", "nb_sites_3g", "nb_sites_4g")})
        row.update({k: nd.get(k) for k in ("nd_sites_decides", "nd_sites_en_service", "nd_sites_en_retard", "nd_sites_en_service_en_retard")})
        if exact:
            row["part_pop_4g_bonne_au_moins_un"] = round(exact["au_moins_un"], 2)
            row["part_pop_4g_bonne_tous"] = round(exact["tous"], 2)
            row["pop_zone_blanche_4g"] = round(exact["aucune"])
            row["operateurs_combines"] = exact["ops"]
        sources = {x for x in (s.get("source"), c and c["source"], nd.get("source")) if x}
        row["demo"] = bool(s.get("demo")) or bool(c and c["demo"]) or bool(nd.get("demo"))
        if c and c["ops"]:
            ops = c["ops"]
            if operateur:
                chosen = ops.get(operateur)
                if chosen:
                    # a share may be missing (no population or no area measured for the commune)
                    row["part_pop_4g_bonne"], row["part_pop_4g_aucune"], row["part_surface_4g_bonne"] = (
                        None if v is None else round(v, 2) for v in chosen[:3])  # fmt: skip
            best = [v[0] for v in ops.values() if v[0] is not None]
            none = [v[1] for v in ops.values() if v[1] is not None]
            if best:
                row["part_pop_4g_bonne_au_moins_un_min"] = round(max(best), 2)
                row["part_pop_4g_bonne_tous_max"] = round(min(best), 2)
            if none and c["population"]:
                row["pop_zone_blanche_4g_max"] = round(min(none) * c["population"] / 100)
        row["source"] = " + ".join(sorted(sources))
        rows.append({k: row.get(k) for k in COLUMNS})
    return rows
