"""Finding territories: resolution of codes and names, hierarchy, and the public JSON shape."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from terrinum.territories.models import NIVEAU_LABELS, CodeAlias, CodePostal, Territory
from terrinum.territories.normalize import normalize, search_key

COMMUNE_CODE = re.compile(r"^(\d{5}|2[AB]\d{3})$")
DEPARTEMENT_CODE = re.compile(r"^(\d{2}|2[AB]|97\d)$")
SIREN = re.compile(r"^\d{9}$")
EXPLICIT = re.compile(r"^(commune|arrondissement|epci|departement|region|pays)\s*:\s*(\S+)$")
LIST_FIELDS = ("niveau", "code", "nom", "population", "departement_code", "region_code")
MAX_CANDIDATES = 50


class ResolutionError(ValueError):
    """A query that cannot be a territory (empty, malformed)."""


@dataclass
class Resolution:
    """Outcome of resolving a query: exactly one territory, several candidates, or none."""

    query: str
    statut: str  # "trouve" | "ambigu" | "inconnu"
    territoire: Territory | None = None
    candidats: list[Territory] = field(default_factory=list)
    message: str = ""
    note: str | None = None  # e.g. "08123 est un ancien code de commune, rattaché à ..."


def get(niveau: str, code: str) -> Territory | None:
    return Territory.objects.filter(niveau=niveau, code=code.upper()).first()


def _ranked(qs) -> list[Territory]:
    return list(qs.order_by("-population", "niveau", "code")[:MAX_CANDIDATES])


def _one_or_many(query: str, found: list[Territory], what: str) -> Resolution:
    """`what` completes "répondent …" in messages, e.g. "au code postal 23000" or "à « gueret »"."""
    if len(found) == 1:
        return Resolution(query, "trouve", territoire=found[0])
    if found:
        return Resolution(query, "ambigu", candidats=found, message=f"Plusieurs territoires ({len(found)}) répondent {what}.")
    return Resolution(query, "inconnu", message=f"Aucun territoire ne répond {what}.")


def resolve(query: str) -> Resolution:
    """Resolve an INSEE code, SIREN, postal code, `niveau:code`, or a name.

    Raises ResolutionError for an empty query. A name shared by several territories gives
    every candidate ranked by population; nothing is ever guessed silently.
    """
    q = (query or "").strip()
    if not q:
        raise ResolutionError("La recherche est vide : saisissez un nom, un code INSEE, un SIREN ou un code postal.")
    if len(q) > 200:
        raise ResolutionError("La recherche est trop longue (200 caractères au plus).")
    upper = q.upper()

    explicit = EXPLICIT.match(q.lower())
    if explicit:
        niveau, code = explicit.groups()
        t = get(niveau, code)
        if t is None:
            return Resolution(q, "inconnu", message=f"Aucun territoire de niveau {niveau} n'a le code {code.upper()}.")
        return Resolution(q, "trouve", territoire=t)

    if upper in ("FR", "FRA", "FRANCE"):
        return Resolution(q, "trouve", territoire=get("pays", "FR"))

    if COMMUNE_CODE.match(upper):
        t = Territory.objects.filter(niveau__in=("commune", "arrondissement"), code=upper).first()
        if t is not None:
            return Resolution(q, "trouve", territoire=t)
        alias = CodeAlias.objects.filter(code=upper).first()
        if alias is not None:
            t = get("commune", alias.commune_code)
            kind = "commune déléguée" if alias.type == "commune_deleguee" else "commune associée"
            note = f"{upper} ({alias.nom}) est le code d'une ancienne commune, aujourd'hui {kind} {t.de_nom} ({t.code})."
            return Resolution(q, "trouve", territoire=t, note=note)
        if upper.isdigit():
            communes = CodePostal.objects.filter(code=upper).values_list("commune_code", flat=True)
            found = _ranked(Territory.objects.filter(niveau="commune", code__in=list(communes)))
            if found:
                res = _one_or_many(q, found, f"au code postal {upper}")
                if res.territoire:
                    res.note = f"{upper} est un code postal, celui {res.territoire.de_nom}."
                return res
        return Resolution(q, "inconnu", message=f"{upper} n'est ni un code INSEE de commune actuelle ou ancienne, ni un code postal connu.")

    if DEPARTEMENT_CODE.match(upper):
        found = _ranked(Territory.objects.filter(niveau__in=("departement", "region"), code=upper))
        return _one_or_many(q, found, f"au code {upper}")

    if SIREN.match(upper):
        found = _ranked(Territory.objects.filter(siren=upper))
        return _one_or_many(q, found, f"au SIREN {upper}")

    if re.fullmatch(r"[\d\s]+", q):
        return Resolution(
            q, "inconnu",
            message=f"« {q} » n'est pas un code valide : un code INSEE de commune a 5 caractères, "
            "un SIREN 9 chiffres, un département 2 ou 3 caractères.",
        )  # fmt: skip

    key = search_key(q)
    if not key:
        raise ResolutionError(f"« {q} » ne contient ni lettre ni chiffre.")
    exact = _ranked(Territory.objects.filter(nom_recherche=key))
    if len(exact) > 1:  # "La Rochelle" (17) and "Rochelle" (70) share a key: the exact name wins
        same = [t for t in exact if normalize(t.nom) == normalize(q)]
        exact = same or exact
    if exact:
        return _one_or_many(q, exact, f"à « {q} »")
    aliases = list(CodeAlias.objects.filter(nom_recherche=key))
    if aliases:
        communes = _ranked(Territory.objects.filter(niveau="commune", code__in=[a.commune_code for a in aliases]))
        res = _one_or_many(q, communes, f"à « {q} »")
        if res.territoire:
            res.note = f"{aliases[0].nom} est une ancienne commune, aujourd'hui rattachée à {res.territoire.nom}."
        return res
    partial = suggest(q)
    if len(partial) == 1:
        return Resolution(q, "trouve", territoire=partial[0])
    return _one_or_many(q, partial, f"à « {q} »")


def resolve_commune(query: str) -> Resolution:
    """A commune named by a person: its INSEE code (current or former), its postal code or its
    name. Only communes are kept (an arrondissement gives its commune); another kind of
    territory, or nothing, is « inconnu » with a message saying what to type; several
    communes are « ambigu » with the candidates to choose from."""
    q = (query or "").strip()
    if re.fullmatch(r"\d{5}", q):  # an INSEE code or a postcode: people type their postcode
        postal = CodePostal.objects.filter(code=q).values_list("commune_code", flat=True)
        found = _ranked(Territory.objects.filter(niveau="commune", code__in=[*postal, q]))
        if len(found) > 1:
            return Resolution(query, "ambigu", candidats=found, message=f"Plusieurs communes ({len(found)}) répondent à « {q} » : choisissez.")
    try:
        res = resolve(query)
    except ResolutionError as exc:
        return Resolution(query, "inconnu", message=str(exc))

    def commune_of(t: Territory) -> Territory | None:
        if t.niveau == "commune":
            return t
        if t.niveau == "arrondissement" and t.commune_code:
            return get("commune", t.commune_code)
        return None

    if res.statut == "trouve":
        commune = commune_of(res.territoire)
        if commune is not None:
            return Resolution(query, "trouve", territoire=commune, note=res.note)
        return Resolution(
            query, "inconnu", message=f"« {query} » désigne {res.territoire.nom}, pas une commune : indiquez le nom ou le code postal d'une commune."
        )
    communes = list(dict.fromkeys(c for c in map(commune_of, res.candidats) if c is not None))
    if len(communes) == 1:
        return Resolution(query, "trouve", territoire=communes[0])
    if communes:
        return Resolution(query, "ambigu", candidats=communes, message=f"Plusieurs communes ({len(communes)}) répondent à « {query} » : choisissez.")
    if re.fullmatch(r"[\d\s]+", q) and res.message:
        return Resolution(query, "inconnu", message=res.message)
    return Resolution(query, "inconnu", message=f"Aucune commune ne répond à « {q} » : vérifiez l'orthographe, ou indiquez son code postal.")


def commune_from_form(chosen: str, typed: str, prefer: set[str] | None = None) -> Resolution:
    """The commune a form names: the candidate chosen on a second step (`chosen`, an INSEE
    code), else what was typed (resolve_commune). When several communes answer, those whose
    code is in `prefer` (the form's territory) come first, and one of them alone is taken."""
    chosen = (chosen or "").strip()
    if chosen:
        t = get("commune", chosen)
        return Resolution(chosen, "trouve", territoire=t) if t else Resolution(chosen, "inconnu", message=f"commune « {chosen} » inconnue")
    res = resolve_commune(typed)
    if res.statut == "ambigu" and prefer is not None:
        local = [c for c in res.candidats if c.code in prefer]
        if len(local) == 1:
            return Resolution(typed, "trouve", territoire=local[0])
        res.candidats = local or res.candidats
    return res


def suggest(query: str, limit: int = MAX_CANDIDATES) -> list[Territory]:
    """Territories whose name starts with, then contains, the query (as-you-type suggestions)."""
    key = search_key(query or "")
    if not key:
        return []
    starts = list(Territory.objects.filter(nom_recherche__startswith=key).order_by("-population")[:limit])
    if len(starts) < limit:
        seen = {t.pk for t in starts}
        more = Territory.objects.filter(nom_recherche__contains=key).exclude(pk__in=seen).order_by("-population")
        starts += list(more[: limit - len(starts)])
    return starts


def parents(t: Territory) -> list[Territory]:
    """Enclosing territories from the closest up to France."""
    chain: list[tuple[str, str | None]] = []
    if t.niveau == "arrondissement":
        chain.append(("commune", t.commune_code))
    if t.niveau in ("commune",):
        chain.append(("epci", t.epci_code))
    if t.niveau in ("commune", "arrondissement"):
        chain.append(("departement", t.departement_code))
    if t.niveau in ("commune", "arrondissement", "departement", "epci"):
        chain.append(("region", t.region_code))
    if t.niveau != "pays":
        chain.append(("pays", "FR"))
    wanted = [(n, c) for n, c in chain if c]
    rows = Territory.objects.filter(code__in=[c for _, c in wanted]).defer("geometrie", "geometrie_carte", "mairie")
    found = {(p.niveau, p.code): p for p in rows}
    return [found[w] for w in wanted if w in found]


CHILD_LEVEL = {"pays": "region", "region": "departement", "departement": "commune", "epci": "commune", "commune": "arrondissement"}


def children(t: Territory):
    """The sub-units shown on a territory's page and map (a queryset)."""
    niveau = CHILD_LEVEL.get(t.niveau)
    if niveau is None:
        return Territory.objects.none()
    qs = Territory.objects.filter(niveau=niveau)
    if t.niveau == "pays":
        return qs
    if t.niveau == "region":
        return qs.filter(region_code=t.code)
    if t.niveau == "departement":
        return qs.filter(departement_code=t.code)
    if t.niveau == "epci":
        return qs.filter(epci_code=t.code)
    return qs.filter(commune_code=t.code)


def as_dict(t: Territory) -> dict:
    """The public JSON shape of a territory (CLI `territoire --format json` and API)."""
    ps = parents(t)
    out = {
        "code": t.code,
        "niveau": t.niveau,
        "nom": t.nom,
        "siren": t.siren,
        "population": t.population,
        "population_millesime": t.population_millesime,
        "superficie_km2": t.superficie_km2,
        "densite_hab_km2": t.densite,
        "nb_communes": t.nb_communes,
        "chef_lieu": t.chef_lieu_code,
        "centre": {"latitude": t.latitude, "longitude": t.longitude},
        "parents": [{"niveau": p.niveau, "code": p.code, "nom": p.nom} for p in ps],
    }
    if t.niveau in ("commune", "arrondissement"):
        epci = next((p for p in ps if p.niveau == "epci"), None)
        out["epci"] = {"code": epci.code, "nom": epci.nom} if epci else None
        out["departement"] = t.departement_code
        out["region"] = t.region_code
        out["mairie"] = t.mairie
    if t.niveau == "commune":
        out["codes_postaux"] = list(CodePostal.objects.filter(commune_code=t.code).order_by("code").values_list("code", flat=True))
    if t.niveau == "arrondissement":
        out["commune"] = t.commune_code
    if t.niveau == "epci":
        out["type_epci"] = t.epci_type
        out["departement_principal"] = t.departement_code
    if t.niveau == "departement":
        out["region"] = t.region_code
    if t.geometrie_note:
        out["geometrie_note"] = t.geometrie_note
    return out


def as_candidate(t: Territory) -> dict:
    return {
        "niveau": t.niveau,
        "niveau_libelle": NIVEAU_LABELS[t.niveau],
        "code": t.code,
        "nom": t.nom,
        "population": t.population,
        "departement": t.departement_code,
    }


def territory_url(t: Territory) -> str:
    """The territory's page (the URL the web layer names « territoire »)."""
    from django.urls import reverse

    return reverse("territoire", args=[t.niveau, t.code])


OVERSEAS_REGIONS = {"01": "971", "02": "972", "03": "973", "04": "974", "06": "976"}


def map_group(t: Territory) -> str:
    """Map box of a territory: mainland, or its overseas département's inset."""
    from terrinum.svg import group_of

    if t.niveau == "region":
        return OVERSEAS_REGIONS.get(t.code, "metro")
    return group_of(t.code if t.niveau == "departement" else t.departement_code)


def projection_label(t: Territory) -> str:
    """The projection a territory's distances are computed in, named for a reader."""
    from terrinum.territories.reference import area_crs

    if t.niveau in ("pays", "region") and map_group(t) == "metro":
        return "Lambert-93 (EPSG:2154) ; UTM locale outre-mer" if t.niveau == "pays" else "Lambert-93 (EPSG:2154)"
    dep = t.code if t.niveau == "departement" else (t.departement_code or "")
    if t.niveau == "region":
        dep = map_group(t)
    return area_crs(dep)
