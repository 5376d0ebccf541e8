"""Registry logic, testable without HTTP: import (reconcile, deduplicate, merge with
provenance per field), edits with a change log, export in the standard, nearest places and
opening hours. Thresholds and rules are documented in methodologie/methodologie-lieux.md."""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import io
import json
import math
import re
from dataclasses import dataclass, field

import opening_hours
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from terrinum.accounts import policy
from terrinum.apps.inclusion.models import Lieu, LieuChangement, LieuIdentifiant
from terrinum.sources import lieux as standard
from terrinum.sources.common import Parsed, Problem
from terrinum.territories import services as territories
from terrinum.territories.helpers import CommuneReconciler, PointLocator
from terrinum.territories.models import CodePostal, Territory
from terrinum.territories.normalize import normalize, search_key

# Deduplication thresholds (methodologie/methodologie-lieux.md): prefer missing a duplicate to merging two places.
SIRET_MAX_DISTANCE_M = 500
SIRET_MIN_NAME_SIMILARITY = 0.5
NAME_MIN_SIMILARITY = 0.85
ADDRESS_MIN_SIMILARITY = 0.8
NAME_ADDRESS_MAX_DISTANCE_M = 150
NEVER_MERGE_BEYOND_M = 1000

STANDARD_FIELDS = standard.field_names()
# Fields a place manager edits on the web form (identity and provenance fields stay with imports).
EDITABLE_FIELDS = [f for f in STANDARD_FIELDS if f not in ("id", "source", "date_maj")]


def _model_field(name: str) -> str:
    return "identifiant" if name == "id" else name


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (mean Earth radius)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(math.sqrt(a))


def similarity(a: str | None, b: str | None) -> float:
    if not a or not b:
        return 0.0
    return difflib.SequenceMatcher(None, normalize(a), normalize(b)).ratio()


def _siret(pivot: str | None) -> str | None:
    """A pivot usable to match places: a 14-digit SIRET that is not the "unknown" value."""
    if pivot and re.fullmatch(r"\d{14}", pivot) and pivot != standard.UNKNOWN_PIVOT:
        return pivot
    return None


class CommuneIndex:
    """Current commune of a place from its INSEE code (current, former or delegated code, or a
    municipal arrondissement: the territorial reconciler), else from its postal code and
    commune name, else from its position (point in commune). Loaded once per import."""

    def __init__(self):
        self.reconcile = CommuneReconciler.from_reference()
        self.postal: dict[str, list[str]] = {}
        for cp, code in CodePostal.objects.values_list("code", "commune_code"):
            self.postal.setdefault(cp, []).append(code)
        self.names = dict(Territory.objects.filter(niveau="commune").values_list("code", "nom_recherche"))
        self._locator = None

    def commune_of(self, row: dict) -> str | None:
        code, _ = self.reconcile((row.get("code_insee") or "").upper())
        if code is not None:
            return code
        candidates = self.postal.get(row.get("code_postal") or "", [])
        if len(candidates) == 1:
            return candidates[0]
        wanted = search_key(row.get("commune") or "")
        named = [c for c in candidates if self.names.get(c) == wanted]
        if len(named) == 1:
            return named[0]
        if row.get("latitude") is not None:
            return self.locate(row["latitude"], row["longitude"])
        return None

    def locate(self, lat: float, lon: float) -> str | None:
        """Point in commune polygon (a former code absorbed without a commune déléguée)."""
        if self._locator is None:
            self._locator = PointLocator.from_reference()
        return self._locator.locate([(lon, lat)])[0]


def find_duplicate(row: dict, places: list[Lieu], exclude_sources: set[str]) -> Lieu | None:
    """Among `places` (those of the row's commune), one that is the same place as `row`
    from another source, or None."""
    siret = _siret(row.get("pivot"))
    for lieu in places:
        if lieu.sources & exclude_sources:
            continue
        distance = None
        if None not in (row.get("latitude"), lieu.latitude):
            distance = haversine_m(row["latitude"], row["longitude"], lieu.latitude, lieu.longitude)
            if distance > NEVER_MERGE_BEYOND_M:
                continue
        name = similarity(row.get("nom"), lieu.nom)
        if siret and siret == _siret(lieu.pivot) and name >= SIRET_MIN_NAME_SIMILARITY:
            if distance is None or distance <= SIRET_MAX_DISTANCE_M:
                return lieu
        if name >= NAME_MIN_SIMILARITY:
            if similarity(row.get("adresse"), lieu.adresse) >= ADDRESS_MIN_SIMILARITY:
                return lieu
            if distance is not None and distance <= NAME_ADDRESS_MAX_DISTANCE_M:
                return lieu
    return None


class _Registry:
    """What an import needs to look up, loaded once: identifiers per source, places per
    commune (with the sources they came from) and taken ids."""

    def __init__(self):
        self.by_key: dict[tuple[str, str], int] = {}
        sources_of: dict[int, set[str]] = {}
        for lieu_id, source, ident in LieuIdentifiant.objects.values_list("lieu_id", "source", "identifiant"):
            self.by_key[(source, ident)] = lieu_id
            sources_of.setdefault(lieu_id, set()).add(source)
        self.places: dict[int, Lieu] = {}
        self.by_commune: dict[str | None, list[Lieu]] = {}
        for lieu in Lieu.objects.all():
            lieu.sources = sources_of.get(lieu.id, set())
            self.places[lieu.id] = lieu
            self.by_commune.setdefault(lieu.commune_code, []).append(lieu)
        self.ids = {lieu.identifiant for lieu in self.places.values()}


@dataclass
class ImportReport:
    source: str
    fichier: str
    lues: int = 0
    creees: int = 0
    mises_a_jour: int = 0
    fusionnees: int = 0
    inchangees: int = 0
    rejetees: list[Problem] = field(default_factory=list)
    sans_commune: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "source": self.source,
            "fichier": self.fichier,
            "lignes_lues": self.lues,
            "lieux_crees": self.creees,
            "lieux_mis_a_jour": self.mises_a_jour,
            "lieux_fusionnes": self.fusionnees,
            "lieux_inchanges": self.inchangees,
            "lignes_rejetees": len(self.rejetees),
            "rejets": [str(p) for p in self.rejetees[:50]],
            "sans_commune": self.sans_commune[:50],
            "notes": self.notes,
        }


class ImportRefused(Exception):
    def __init__(self, problems: list[Problem], report: ImportReport):
        super().__init__("\n".join(str(p) for p in problems[:20]))
        self.problems = problems
        self.report = report


def _value(lieu: Lieu, name: str):
    return getattr(lieu, _model_field(name))


def _apply(lieu: Lieu, row: dict, source: str, date_maj: dt.date, force: bool = False) -> dict:
    """Take from `row` every non-empty field whose current value is empty or comes from the
    same source or an older update (newer information wins; empty never erases). Returns
    {field: [before, after]} of what changed."""
    changes = {}
    for name in STANDARD_FIELDS:
        if name == "id":
            continue
        new = row.get(name)
        if new is None:
            continue
        old = _value(lieu, name)
        origin = lieu.provenance.get(name)
        takes = force or old is None or origin is None or origin["source"] == source or origin["date_maj"] < date_maj.isoformat()
        if takes and new != old:
            setattr(lieu, _model_field(name), new)
            changes[name] = [_jsonable(old), _jsonable(new)]
        if takes:
            lieu.provenance[name] = {"source": source, "date_maj": date_maj.isoformat()}
    return changes


def _jsonable(v):
    return v.isoformat() if isinstance(v, dt.date) else v


def import_parsed(parsed: Parsed, fichier: str, default_source: str, accept_rejects: bool = False, user=None) -> ImportReport:
    """Load validated rows into the registry in one transaction. A row's namespace for its
    `id` is its `source` column (else `default_source`): the same (source, id) is the same
    place on every import, so re-importing a file changes nothing."""
    report = ImportReport(source=default_source, fichier=fichier, lues=parsed.read, rejetees=list(parsed.rejected), notes=list(parsed.notes))
    if report.rejetees and not accept_rejects:
        raise ImportRefused(report.rejetees, report)
    if not parsed.rows:
        raise ImportRefused([Problem(fichier, None, None, "aucun lieu à charger (en-tête seul, ou toutes les lignes rejetées) : rien n'est changé")], report)
    communes = CommuneIndex()
    registry = _Registry()
    new_places: list[tuple[Lieu, str]] = []
    changed: list[tuple[Lieu, str, dict]] = []
    merged: list[tuple[Lieu, str, str]] = []
    for row in parsed.rows:
        line = row.pop("_ligne", None)
        source = row.get("source") or default_source
        commune_code = communes.commune_of(row)
        known = registry.by_key.get((source, row["id"]))
        if known is not None:
            lieu = registry.places[known]
            changes = _apply(lieu, row, source, row["date_maj"])
            if "code_insee" in changes or "code_postal" in changes or "commune" in changes:
                lieu.commune_code = commune_code or lieu.commune_code
            if changes:
                changed.append((lieu, source, changes))
                report.mises_a_jour += 1
            else:
                report.inchangees += 1
            continue
        duplicate = find_duplicate(row, registry.by_commune.get(commune_code, []) if commune_code else [], {source})
        if duplicate is not None:
            changes = _apply(duplicate, row, source, row["date_maj"])
            changes["fusion"] = [None, f"{source}:{row['id']}"]
            changed.append((duplicate, source, changes))
            merged.append((duplicate, source, row["id"]))
            duplicate.sources.add(source)
            registry.by_key[(source, row["id"])] = duplicate.id
            report.fusionnees += 1
            continue
        if row["id"] in registry.ids:
            problem = Problem(fichier, line, "id", f"identifiant « {row['id']} » déjà pris par un autre lieu du registre (d'une autre source)")
            if not accept_rejects:
                raise ImportRefused([problem], report)
            report.rejetees.append(problem)
            continue
        lieu = Lieu(identifiant=row["id"], commune_code=commune_code, provenance={})
        _apply(lieu, row, source, row["date_maj"], force=True)
        lieu.sources = {source}
        registry.ids.add(row["id"])
        new_places.append((lieu, source))
        report.creees += 1
        if commune_code is None:
            report.sans_commune.append(f"{row['id']} ({row.get('commune')}, {row.get('code_postal')})")
    with transaction.atomic():
        Lieu.objects.bulk_create([lieu for lieu, _ in new_places], batch_size=2000)  # sets pk on SQLite and PostgreSQL
        LieuIdentifiant.objects.bulk_create(
            [LieuIdentifiant(lieu=lieu, source=source, identifiant=lieu.identifiant) for lieu, source in new_places], batch_size=2000
        )
        LieuIdentifiant.objects.bulk_create([LieuIdentifiant(lieu=lieu, source=source, identifiant=ident) for lieu, source, ident in merged])
        for lieu, _source, _changes in changed:
            lieu.save()
        log = [
            LieuChangement(lieu=lieu, auteur=user, origine=f"import {source} ({fichier})", changements={"creation": [None, lieu.identifiant]})
            for lieu, source in new_places
        ]
        log += [LieuChangement(lieu=lieu, auteur=user, origine=f"import {source} ({fichier})", changements=changes) for lieu, source, changes in changed]
        LieuChangement.objects.bulk_create(log, batch_size=2000)
    if report.sans_commune:
        report.notes.append(f"{len(report.sans_commune)} lieu(x) sans commune du référentiel reconnue (code INSEE et code postal + nom inconnus)")
    return report


LABELS = {"comptoir_numerique": "Comptoir du numérique"}
LOCATION_FIELDS = ("code_insee", "code_postal", "commune", "latitude", "longitude")


def update_place(lieu: Lieu, data: dict, user, labels: dict | None = None) -> dict:
    """A web edit: validate the standard fields as an import would, save, log. Raises
    PermissionError if the policy refuses the place before or after the change, or if an
    account that does not administer the place's territory moves it to another commune
    (or puts its position outside its commune) or changes a local label (nothing is saved);
    ValueError([(field, reason)]) on invalid input. « Pass numérique accepté » is not a
    label anyone types: it follows the funders' qualifications (apps.pass_numerique)."""
    if not policy.can_change(user, lieu):
        raise PermissionError("modification refusée")
    unknown = set(labels or {}) - set(LABELS)
    if unknown:
        raise ValueError([(name, "ce label ne se modifie pas ici") for name in sorted(unknown)])
    raw = {name: _jsonable(_value(lieu, name)) for name in STANDARD_FIELDS}
    raw.update({k: v for k, v in data.items() if k in EDITABLE_FIELDS})
    raw = {k: (None if v is None else str(v)) for k, v in raw.items()}
    raw["date_maj"] = timezone.localdate().isoformat()
    row, errors = standard.validate(raw)
    if errors:
        raise ValueError(errors)
    source = f"Terrinum — {user.get_username()}"
    administers = policy.administers_location_of(user, lieu)
    try:
        with transaction.atomic():
            changes = {}
            for name in EDITABLE_FIELDS + ["date_maj"]:
                old, new = _value(lieu, name), row.get(name)
                if old != new:
                    setattr(lieu, _model_field(name), new)
                    if name != "date_maj":
                        changes[name] = [_jsonable(old), _jsonable(new)]
                        lieu.provenance[name] = {"source": source, "date_maj": row["date_maj"].isoformat()}
            for label, value in (labels or {}).items():
                if getattr(lieu, label) != value:
                    if not administers:
                        raise PermissionError(f"le label « {LABELS[label]} » est attribué par la collectivité du territoire, pas par le lieu")
                    changes[label] = [getattr(lieu, label), value]
                    setattr(lieu, label, value)
            if changes:
                if any(name in changes for name in LOCATION_FIELDS):
                    index = CommuneIndex()
                    before, after = lieu.commune_code, index.commune_of(row) or lieu.commune_code
                    if after != before and not administers:
                        raise PermissionError("seule la collectivité du territoire déplace un lieu dans une autre commune : écrivez-lui")
                    moved = "latitude" in changes or "longitude" in changes
                    if moved and not administers and row.get("latitude") is not None and index.locate(row["latitude"], row["longitude"]) != after:
                        raise PermissionError("la position indiquée est hors de la commune du lieu")
                    lieu.commune_code = after
                    # The policy judges the object after the change too: moving a place out of
                    # the territory one administers would hand it to another collectivité.
                    if not policy.can_change(user, lieu):
                        raise PermissionError("modification refusée : le lieu sortirait de votre territoire")
                lieu.save()
                LieuChangement.objects.create(lieu=lieu, auteur=user, origine="formulaire web", changements=changes)
    except Exception:
        lieu.refresh_from_db()  # the refused change leaves the object as stored
        raise
    return changes


# --- export in the standard -------------------------------------------------------------------


def export_rows(queryset=None) -> list[dict]:
    """Standard rows (field order of the schema), ordered by id."""
    out = []
    for lieu in (queryset if queryset is not None else Lieu.objects.all()).order_by("identifiant"):
        out.append({name: _jsonable(_value(lieu, name)) for name in STANDARD_FIELDS})
    return out


def places_in(territories) -> QuerySet:
    """The places located in a TerritorySet."""
    return Lieu.objects.filter(commune_code__in=policy.commune_codes_of(territories))


def _number(v: float | None) -> str:
    return "" if v is None else repr(v)


def to_csv(rows: list[dict], delimiter: str = ",") -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(STANDARD_FIELDS)
    for r in rows:
        writer.writerow([_number(r[n]) if n in ("latitude", "longitude") else (r[n] or "") for n in STANDARD_FIELDS])
    return buffer.getvalue()


def to_json(rows: list[dict]) -> str:
    return json.dumps([{k: v for k, v in r.items() if v is not None} for r in rows], ensure_ascii=False, indent=1) + "\n"


# --- finder -----------------------------------------------------------------------------------


def origin_of_query(q: str) -> tuple[Territory | None, str | None, list[Territory]]:
    """The commune a query designates (postal code, INSEE code, commune name, or an address
    text ending with a postal code or a commune name), a message, and other candidates."""
    q = q.strip()
    if not q:
        return None, None, []
    postal = re.search(r"\b(\d{5})\b", q)
    if postal:
        code = postal.group(1)
        communes = list(
            Territory.objects.filter(niveau="commune", code__in=CodePostal.objects.filter(code=code).values("commune_code")).order_by("-population")
        )
        if communes:
            return communes[0], None, communes[1:]
    parts = [q] + [p.strip() for p in reversed(re.split(r"[,\n]", q)) if p.strip()]
    for part in parts:
        try:
            res = territories.resolve(part)
        except territories.ResolutionError:
            continue
        if res.statut == "trouve" and res.territoire.niveau in ("commune", "arrondissement"):
            t = res.territoire
            if t.niveau == "arrondissement":
                t = Territory.objects.get(niveau="commune", code=t.commune_code)
            return t, None, []
        if res.statut == "ambigu":
            communes = [c for c in res.candidats if c.niveau == "commune"]
            if communes:
                return communes[0], None, communes[1:]
    return None, f"Aucune commune ne correspond à « {q} ». Essayez un code postal ou le nom de la commune.", []


def origin_point(t: Territory) -> tuple[float, float, str]:
    mairie = t.mairie or {}
    if mairie.get("latitude") is not None:
        return mairie["latitude"], mairie["longitude"], f"la mairie {t.de_nom}"
    return t.latitude, t.longitude, f"un point central {t.de_nom}"


def open_state(horaires: str | None, when: dt.datetime) -> bool | None:
    """True/False from OSM opening_hours at `when` (local time), None when unknown."""
    if not horaires:
        return None
    try:
        oh = opening_hours.OpeningHours(horaires)
        naive = when.replace(tzinfo=None)
        if oh.is_unknown(naive):
            return None
        return bool(oh.is_open(naive))
    except Exception:
        return None


def next_change(horaires: str | None, when: dt.datetime) -> dt.datetime | None:
    if not horaires:
        return None
    try:
        return opening_hours.OpeningHours(horaires).next_change(when.replace(tzinfo=None))
    except Exception:
        return None


@dataclass
class Found:
    lieu: Lieu
    distance_km: float
    ouvert: bool | None


def registry_stamp() -> tuple:
    """Changes whenever what a search of places shows may change: a place added, removed or
    edited (each edit is logged), or its Pass numérique label given or withdrawn. One query."""
    from django.db import connection

    lieu, changement = (connection.ops.quote_name(m._meta.db_table) for m in (Lieu, LieuChangement))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT count(*) FROM {lieu}), (SELECT max(id) FROM {lieu}), (SELECT max(id) FROM {changement}),"
            f" (SELECT count(*) FROM {lieu} WHERE pass_numerique), (SELECT sum(id) FROM {lieu} WHERE pass_numerique)"
        )
        return tuple(cursor.fetchone())


def nearest(
    lat: float, lon: float, when: dt.datetime, service: str | None = None, limit: int = 10, ouvert_seulement: bool = False, pass_numerique: bool = False
) -> list[Found]:
    """The nearest places to a point (great-circle distance), optionally offering a service,
    accepting the Pass numérique or open at `when`. Places are pre-selected in a widening
    box so a national registry is never scanned whole."""
    qs = Lieu.objects.filter(latitude__isnull=False)
    if service:
        qs = qs.filter(services__contains=service)
    if pass_numerique:
        qs = qs.filter(pass_numerique=True)
    found: list[Found] = []
    for half_side_km in (10, 30, 100, 400):
        dlat = half_side_km / 111.0
        dlon = half_side_km / (111.0 * max(math.cos(math.radians(lat)), 0.1))
        box = qs.filter(latitude__range=(lat - dlat, lat + dlat), longitude__range=(lon - dlon, lon + dlon))
        found = []
        for lieu in box:
            state = open_state(lieu.horaires, when)
            if ouvert_seulement and state is not True:
                continue
            found.append(Found(lieu, haversine_m(lat, lon, lieu.latitude, lieu.longitude) / 1000, state))
        found.sort(key=lambda f: (f.distance_km, f.lieu.nom))
        # Enough results, all nearer than the box's inscribed circle: nothing outside is nearer.
        if len(found) >= limit and found[limit - 1].distance_km <= half_side_km:
            break
    return found[:limit]


POOL_FOR_NEEDS = 30  # the nearest places among which those covering most needs are chosen


def covering(lat: float, lon: float, when: dt.datetime, needs: list[str], limit: int = 3) -> list[tuple[Found, list[str]]]:
    """Among the POOL_FOR_NEEDS nearest places, those offering at least one of `needs` (the
    national standard's services), ranked by how many of them they offer, then by distance:
    (place, the needs it covers, in the order given)."""
    scored = []
    for found in nearest(lat, lon, when, limit=POOL_FOR_NEEDS):
        offered = set(multi(found.lieu.services))
        covered = [n for n in needs if n in offered]
        if covered:
            scored.append((found, covered))
    scored.sort(key=lambda fc: (-len(fc[1]), fc[0].distance_km, fc[0].lieu.nom))
    return scored[:limit]


def multi(value: str | None) -> list[str]:
    return [v for v in (value or "").split(standard.MULTI_SEPARATOR) if v]


def attach_places(organisation, identifiants: list[str]) -> None:
    """Tie places (their standard `id`) to the organisation that manages them; ValueError
    naming the unknown ones (inside a transaction: nothing is changed)."""
    missing = [i for i in identifiants if not Lieu.objects.filter(identifiant=i).exists()]
    if missing:
        raise ValueError(f"lieu(x) inconnu(s) au registre : {', '.join(missing)}")
    Lieu.objects.filter(identifiant__in=identifiants).update(organisation=organisation)
