"""Operations on coverage reports (docs/couverture.md): report a zone (checked against the
data in the same transaction), group a département's reports into candidate zones, rank
them, decide, and export the proposals. Every write is one transaction; the policy
(accounts/policy.py) says who may do what, and the views ask it before calling these."""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass

import shapely
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from terrinum.accounts.models import Organisation
from terrinum.accounts.policy import commune_codes_of
from terrinum.apps.signalements.models import CONCERNED, FREQUENCIES, NO_DATA, OPERATORS, USAGES, Mesure, Signalement, Zone
from terrinum.config import reading
from terrinum.sources.common import Problem
from terrinum.territories.helpers import TerritorySet
from terrinum.territories.models import Territory

OPERATOR_CODES = [c for c, _ in OPERATORS]
OPERATOR_NAMES = dict(OPERATORS)
# A point may fall this far outside its commune's contour (degrees, about 200 m): contours
# are simplified, and a hamlet on the boundary belongs to the commune that reports it.
CONTOUR_TOLERANCE = 0.002
DEFAULT_DISTANCE_M = 1500  # reports this close to each other form one zone (DBSCAN ε)
EARTH_RADIUS_M = 6_371_000
MAX_MEASUREMENTS = 5000
MEASUREMENT_COLUMNS = {
    "latitude": ("latitude", "lat"),
    "longitude": ("longitude", "lon", "lng", "long"),
    "operateur": ("operateur", "opérateur", "operator", "mcc_mnc", "reseau", "réseau", "network_operator"),
    "techno": ("techno", "technologie", "technology", "network", "type_reseau", "network_type"),
    "debit_descendant": ("debit_descendant", "débit_descendant", "debit", "débit", "download", "download_mbps", "dl_mbps"),
}
OPERATOR_ALIASES = {
    "orange": "OF", "of": "OF", "20801": "OF", "sfr": "SFR0", "sfr0": "SFR0", "20810": "SFR0",
    "bouygues": "BOUY", "bouygues telecom": "BOUY", "bouy": "BOUY", "byt": "BOUY", "20820": "BOUY",
    "free": "FREE", "free mobile": "FREE", "20815": "FREE",
}  # fmt: skip


class Refused(ValueError):
    """A report, a file or a decision that cannot be accepted, with every reason."""

    def __init__(self, problems: list[Problem] | list[str]):
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


def communes_of(organisation: Organisation) -> list[Territory]:
    """The communes a collectivité reports for: those of its territory."""
    if not organisation.territoire_niveau:
        return []
    codes = commune_codes_of(TerritorySet.of(organisation.territoire_niveau, organisation.territoire_code))
    return list(Territory.objects.filter(niveau="commune", code__in=codes).order_by("nom"))


def parse_measurements(name: str, content: bytes) -> list[dict]:
    """The lines of a measurement file (CSV from a measurement app: position, operator,
    technology, downlink speed in Mbit/s; « ; » or « , »). Every bad line refuses the file,
    each named by line, field and reason."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("latin-1")
    lines = text.splitlines()
    if not lines:
        raise Refused([Problem(name, None, None, "fichier vide")])
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise Refused([Problem(name, line, None, "caractère nul (octet 0) : ce n'est pas un fichier CSV de mesures")])
    try:
        return _measurements(name, text, lines)
    except csv.Error as exc:  # a field beyond the csv module's limit, a stray quote...
        raise Refused([Problem(name, None, None, f"CSV illisible ({exc})")]) from None


def _measurements(name: str, text: str, lines: list[str]) -> list[dict]:
    delimiter = ";" if lines[0].count(";") >= lines[0].count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = [h.strip().lower() for h in next(reader)]
    columns = {}
    for field, names in MEASUREMENT_COLUMNS.items():
        columns[field] = next((header.index(n) for n in names if n in header), None)
    missing = [f for f in ("latitude", "longitude") if columns[f] is None]
    if missing:
        raise Refused([Problem(name, 1, f, "colonne absente (attendu : " + " ou ".join(MEASUREMENT_COLUMNS[f][:3]) + ")") for f in missing])
    rows, problems = [], []
    for number, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue
        if len(rows) >= MAX_MEASUREMENTS:
            problems.append(Problem(name, number, None, f"plus de {MAX_MEASUREMENTS} mesures"))
            break

        def value(field, values=values):
            i = columns[field]
            return values[i].strip() if i is not None and i < len(values) else ""

        row = {"ligne": number}
        for field, low, high in (("latitude", -90, 90), ("longitude", -180, 180)):
            try:
                v = float(value(field).replace(",", "."))
            except ValueError:
                problems.append(Problem(name, number, field, f"« {value(field)} » n'est pas un nombre"))
                continue
            if not low <= v <= high or math.isnan(v):
                problems.append(Problem(name, number, field, f"{v} hors de [{low} ; {high}]"))
                continue
            row[field] = v
        raw_op = value("operateur")
        row["operateur"] = OPERATOR_ALIASES.get(raw_op.lower(), raw_op[:8]) if raw_op else ""
        row["techno"] = value("techno").upper()[:8]
        speed = value("debit_descendant")
        if speed:
            try:
                row["debit_descendant"] = float(speed.replace(",", "."))
                if not math.isfinite(row["debit_descendant"]) or row["debit_descendant"] < 0:
                    raise ValueError(speed)
            except ValueError:
                row.pop("debit_descendant", None)
                problems.append(Problem(name, number, "debit_descendant", f"« {speed} » n'est pas un débit en Mbit/s"))
        if "latitude" in row and "longitude" in row:
            rows.append(row)
    if problems:
        raise Refused(problems[:20])
    return rows


@dataclass
class Report:
    """What a reporter gives (the form's cleaned data)."""

    commune_code: str
    operateurs: list[str]
    usages: list[str]
    frequence: str
    concernes: list[str]
    longitude: float | None = None
    latitude: float | None = None
    lieu_dit: str = ""
    personnes: int | None = None
    description: str = ""


def validate(organisation: Organisation, report: Report) -> list[str]:
    """Why a report cannot be accepted (empty when it can)."""
    problems = []
    commune = Territory.objects.filter(niveau="commune", code=report.commune_code).first()
    if commune is None or report.commune_code not in {c.code for c in communes_of(organisation)}:
        problems.append(f"la commune {report.commune_code} n'est pas dans le territoire de {organisation}")
    if (report.longitude is None) != (report.latitude is None):
        problems.append("donnez la longitude et la latitude, ou aucune des deux")
    if report.longitude is None and not report.lieu_dit.strip():
        problems.append("situez la zone : un point sur la carte, des coordonnées ou un lieu-dit")
    if report.longitude is not None and commune is not None and commune.geometrie:
        contour = shapely.from_wkb(bytes(commune.geometrie))
        if shapely.distance(contour, shapely.Point(report.longitude, report.latitude)) > CONTOUR_TOLERANCE:
            problems.append(f"le point ({report.latitude:.5f}, {report.longitude:.5f}) n'est pas dans la commune {commune.nom}")
    checks = (("operateurs", report.operateurs, OPERATOR_CODES, True), ("usages", report.usages, [c for c, _ in USAGES], True),
              ("concernes", report.concernes, [c for c, _ in CONCERNED], False))  # fmt: skip
    for field, values, allowed, required in checks:
        if required and not values:
            problems.append(f"{field} : choisissez au moins une valeur")
        bad = [v for v in values if v not in allowed]
        if bad:
            problems.append(f"{field} : valeur(s) inconnue(s) {', '.join(bad)}")
    if report.frequence not in {c for c, _ in FREQUENCIES}:
        problems.append(f"fréquence inconnue : {report.frequence}")
    return problems


def check(reports: list[Signalement]) -> None:
    """Check reports against the data and store the result (with the data's versions). When
    the warehouse is being written, the check says so and can be run again."""
    inputs = [{"longitude": r.longitude, "latitude": r.latitude, "commune_code": r.commune_code, "departement_code": r.departement_code} for r in reports]
    results = reading("couverture.verifier")(inputs)  # pillars/couverture/verification.py
    now = timezone.now()
    for r, result in zip(reports, results):
        r.verification, r.verifie_le = result, now


def report_zone(user, organisation: Organisation, report: Report, measurements: list[dict] | None = None) -> Signalement:
    """Record a report, its measurements and its check, in one transaction."""
    problems = validate(organisation, report)
    if problems:
        raise Refused(problems)
    commune = Territory.objects.get(niveau="commune", code=report.commune_code)
    with transaction.atomic():
        s = Signalement(
            organisation=organisation,
            auteur=user if getattr(user, "is_authenticated", False) else None,
            commune_code=commune.code,
            departement_code=commune.departement_code,
            longitude=report.longitude,
            latitude=report.latitude,
            lieu_dit=report.lieu_dit.strip(),
            operateurs=sorted(set(report.operateurs), key=OPERATOR_CODES.index),
            usages=report.usages,
            frequence=report.frequence,
            concernes=report.concernes,
            personnes=report.personnes,
            description=report.description.strip(),
        )
        check([s])
        s.save()
        Mesure.objects.bulk_create(
            [
                Mesure(signalement=s, **{k: m.get(k) for k in ("ligne", "longitude", "latitude", "operateur", "techno", "debit_descendant")})
                for m in measurements or []
            ]
        )
    return s


# --- The project team: grouping, ranking, deciding -------------------------------------------

# The score (docs/couverture.md, « Classement »): 100 points, each term capped.
SCORE_TERMS = {
    "population": (35, 300, "habitants à moins de 500 m (le plus grand nombre parmi les signalements de la zone)"),
    "activites": (20, 4, "activités touchées : entreprises, exploitation agricole, établissement recevant du public, axe routier"),
    "operateurs": (20, 4, "opérateurs sans bonne couverture 4G aux points signalés"),
    "signalements": (10, 5, "signalements regroupés dans la zone"),
    "eloignement": (15, 5000, "distance moyenne au site 4G existant le plus proche (m)"),
}


def score(reports: list[Signalement]) -> tuple[float, dict]:
    """The zone's score and its terms: each term = weight × min(1, value / cap)."""
    checks = [r.verification or {} for r in reports]
    population = max((c.get("population_500m") or 0 for c in checks), default=0)
    declared = max((r.personnes or 0 for r in reports), default=0)
    activities = sorted({a for r in reports for a in r.concernes if a != "habitations"})
    measured = [c for c in checks if any(op.get("au_point") not in (None, NO_DATA) for op in (c.get("operateurs") or {}).values())]
    if measured:
        absent = sorted({op for c in measured for op in c.get("operateurs_sans_bonne_4g", [])}, key=OPERATOR_CODES.index)
        absent_basis = "couverture au point (polygones de l'Arcep)"
    else:
        absent = sorted({op for r in reports for op in r.operateurs}, key=OPERATOR_CODES.index)
        absent_basis = "opérateurs signalés (pas de polygones de couverture importés à ces points)"
    distances = [c["site_4g_le_plus_proche_m"] for c in checks if c.get("site_4g_le_plus_proche_m") is not None]
    distance = sum(distances) / len(distances) if distances else None
    values = {"population": population, "activites": len(activities), "operateurs": len(absent), "signalements": len(reports), "eloignement": distance or 0}
    terms = {k: round(w * min(1.0, values[k] / cap), 2) for k, (w, cap, _) in SCORE_TERMS.items()}
    covered = bool(measured) and all(not c.get("operateurs_sans_bonne_4g") for c in measured)
    detail = {
        "termes": terms,
        "valeurs": values,
        "activites": activities,
        "operateurs_absents": absent,
        "operateurs_base": absent_basis,
        "operateurs_mesures": bool(measured),
        "personnes_declarees": declared,
        "distance_connue": distance is not None,
        "indice_deja_couvert": covered,
        "communes": sorted({r.commune_code for r in reports}),
    }
    return round(sum(terms.values()), 2), detail


def clusters(points: list[tuple[float, float]], distance_m: int) -> list[int]:
    """DBSCAN (scikit-learn) on the haversine distance: reports within `distance_m` of one
    another, step by step, form one zone; a lone report is its own zone (min_samples = 1)."""
    import numpy as np
    from sklearn.cluster import DBSCAN

    if not points:
        return []
    radians = np.radians([[lat, lon] for lon, lat in points])
    return DBSCAN(eps=distance_m / EARTH_RADIUS_M, min_samples=1, metric="haversine", algorithm="ball_tree").fit(radians).labels_.tolist()


def regroup(departement: str, distance_m: int = DEFAULT_DISTANCE_M) -> list[Zone]:
    """Group the département's reports that are not in a decided zone into candidate zones
    (one transaction): undecided zones are dissolved and rebuilt; decided zones and their
    reports stay as they are. Reports without a position form their own zone."""
    if not 100 <= distance_m <= 20000:
        raise Refused([f"distance de regroupement {distance_m} m hors de 100 à 20 000 m"])
    with transaction.atomic():
        # one regrouping at a time per département: the département's row is the lock (its
        # zones may not exist yet); SQLite serialises write transactions anyway
        Territory.objects.select_for_update().filter(niveau="departement", code=departement).first()
        Zone.objects.filter(departement_code=departement, decision=Zone.A_EXAMINER).delete()
        pending = list(Signalement.objects.filter(departement_code=departement, zone__isnull=True).order_by("pk"))
        placed = [r for r in pending if r.longitude is not None]
        labels = clusters([(r.longitude, r.latitude) for r in placed], distance_m)
        groups: dict[int, list[Signalement]] = {}
        for r, label in zip(placed, labels):
            groups.setdefault(label, []).append(r)
        ordered = list(groups.values()) + [[r] for r in pending if r.longitude is None]
        number = (Zone.objects.filter(departement_code=departement).aggregate(m=Max("numero"))["m"] or 0) + 1
        zones = []
        for members in ordered:
            value, detail = score(members)
            zone = Zone.objects.create(departement_code=departement, numero=number, distance_m=distance_m, score=value, detail=detail)
            Signalement.objects.filter(pk__in=[r.pk for r in members]).update(zone=zone)
            zones.append(zone)
            number += 1
    return sorted(zones, key=lambda z: -z.score)


def decide(zone: Zone, decision: str, motif: str, user) -> Zone:
    """Record the team's decision on a zone; « écartée » needs its reason."""
    if decision not in {c for c, _ in Zone.DECISIONS}:
        raise Refused([f"décision inconnue : {decision}"])
    if decision == Zone.ECARTE and not motif.strip():
        raise Refused(["une zone écartée doit avoir son motif"])
    with transaction.atomic():
        zone = Zone.objects.select_for_update().get(pk=zone.pk)
        zone.decision, zone.motif = decision, motif.strip()
        zone.decide_par = user if decision != Zone.A_EXAMINER else None
        zone.decide_le = timezone.now() if decision != Zone.A_EXAMINER else None
        zone.save()
    return zone


# --- Exports ---------------------------------------------------------------------------------

EXPORT_COLUMNS = [
    ("zone", "Zone"), ("rang", "Rang"), ("score", "Score (sur 100)"), ("decision", "Décision"), ("motif", "Motif"),
    ("communes", "Communes"), ("signalements", "Signalements"), ("population_500m", "Habitants à moins de 500 m"),
    ("operateurs_absents", "Opérateurs sans bonne couverture 4G"), ("activites", "Activités touchées"),
    ("distance_site_m", "Distance moyenne au site 4G le plus proche (m)"), ("longitude", "Longitude"), ("latitude", "Latitude"),
    ("notes", "Notes de l'équipe projet"), ("photos", "Photos"),
]  # fmt: skip


def _photos():
    from django.db.models import Prefetch

    from terrinum.apps.signalements.models import PhotoZone

    return Prefetch("photos", queryset=PhotoZone.objects.defer("contenu"))


PHOTOS = _photos()


def zones_of(departement: str, decision: str | None = None) -> list[Zone]:
    zones = Zone.objects.filter(departement_code=departement).prefetch_related("signalements", PHOTOS).order_by("-score", "numero")
    return list(zones.filter(decision=decision) if decision else zones)


def export_rows(zones: list[Zone]) -> list[dict]:
    """One row per zone: rank, score, decision, communes, the score's bases, and the centre
    of its located reports."""
    names = dict(Territory.objects.filter(niveau="commune", code__in={c for z in zones for c in z.detail.get("communes", [])}).values_list("code", "nom"))
    rows = []
    for rank, z in enumerate(zones, start=1):
        located = [(r.longitude, r.latitude) for r in z.signalements.all() if r.longitude is not None]
        centre = shapely.centroid(shapely.multipoints(located)) if located else None
        d = z.detail
        rows.append(
            {
                "zone": z.numero, "rang": rank, "score": z.score, "decision": z.get_decision_display(), "motif": z.motif,
                "communes": ", ".join(f"{names.get(c, c)} ({c})" for c in d.get("communes", [])),
                "signalements": d["valeurs"]["signalements"], "population_500m": d["valeurs"]["population"],
                "operateurs_absents": ", ".join(OPERATOR_NAMES[o] for o in d.get("operateurs_absents", [])),
                "activites": ", ".join(dict(CONCERNED)[a] for a in d.get("activites", [])),
                "distance_site_m": round(d["valeurs"]["eloignement"]) if d.get("distance_connue") else None,
                "longitude": round(centre.x, 6) if centre is not None else None, "latitude": round(centre.y, 6) if centre is not None else None,
                "notes": z.notes, "photos": " ; ".join(f"{p.nom}{' (' + p.legende + ')' if p.legende else ''}" for p in z.photos.all()),
            }
        )  # fmt: skip
    return rows


def geojson(zones: list[Zone]) -> dict:
    """The zones as GeoJSON (WGS84): each zone a MultiPoint of its located reports."""
    features = []
    for z, row in zip(zones, export_rows(zones)):
        points = [[r.longitude, r.latitude] for r in z.signalements.all() if r.longitude is not None]
        features.append({"type": "Feature", "geometry": {"type": "MultiPoint", "coordinates": points} if points else None, "properties": row})
    return {"type": "FeatureCollection", "features": features}
