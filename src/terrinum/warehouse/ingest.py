"""Loading parsed source rows into the warehouse: code reconciliation, one transaction per
file, provenance, idempotence.

Reconciliation of commune codes (DESIGN "Former commune codes"): a current commune code is
kept; a commune déléguée/associée or municipal arrondissement code goes to its current
commune; a user-supplied INSEE passage table resolves the rest; a code still unknown stays
attached to its département as "non rattachée" (code_commune NULL) and is listed in the
report, so that département, région and France totals equal the file's.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from terrinum.sources import arcep_batiments, arcep_ftth, arcep_mci, arcep_mobile, insee
from terrinum.sources.common import Parsed, Problem, SourceError, departement_of, read_text, sniff_delimiter
from terrinum.warehouse import store

TABLES = {
    "cf_debits": """CREATE TABLE IF NOT EXISTS cf_debits (
        source VARCHAR NOT NULL, millesime VARCHAR NOT NULL, code_source VARCHAR NOT NULL,
        code_commune VARCHAR, code_departement VARCHAR NOT NULL, locaux BIGINT NOT NULL,
        locaux_8mbits BIGINT NOT NULL, locaux_30mbits BIGINT NOT NULL, locaux_100mbits BIGINT NOT NULL,
        locaux_1gbits BIGINT NOT NULL, demo BOOLEAN NOT NULL)""",
    "cf_ftth": """CREATE TABLE IF NOT EXISTS cf_ftth (
        source VARCHAR NOT NULL, millesime VARCHAR NOT NULL, code_source VARCHAR NOT NULL,
        code_commune VARCHAR, code_departement VARCHAR NOT NULL,
        locaux_ftth_raccordables BIGINT NOT NULL, categorie INTEGER, demo BOOLEAN NOT NULL)""",
    "cf_informations": """CREATE TABLE IF NOT EXISTS cf_informations (
        source VARCHAR NOT NULL, millesime VARCHAR NOT NULL, code_source VARCHAR NOT NULL,
        code_commune VARCHAR, code_departement VARCHAR NOT NULL, logements BIGINT NOT NULL,
        etablissements BIGINT NOT NULL, zone VARCHAR NOT NULL, operateur_amii VARCHAR,
        rurale BOOLEAN, montagne BOOLEAN, demo BOOLEAN NOT NULL)""",
    "cm_sites": """CREATE TABLE IF NOT EXISTS cm_sites (
        source VARCHAR NOT NULL, millesime VARCHAR NOT NULL, code_source VARCHAR NOT NULL,
        code_commune VARCHAR, code_departement VARCHAR NOT NULL, operateur VARCHAR NOT NULL,
        site_2g INTEGER NOT NULL, site_3g INTEGER NOT NULL, site_4g INTEGER NOT NULL,
        longitude DOUBLE, latitude DOUBLE, demo BOOLEAN NOT NULL)""",
    "cm_couverture": """CREATE TABLE IF NOT EXISTS cm_couverture (
        source VARCHAR NOT NULL, millesime VARCHAR NOT NULL, code_source VARCHAR NOT NULL,
        code_commune VARCHAR, code_departement VARCHAR NOT NULL, operateur VARCHAR NOT NULL,
        techno VARCHAR NOT NULL, part_surface_nc DOUBLE, part_surface_cl DOUBLE, part_surface_bc DOUBLE,
        part_surface_tbc DOUBLE, part_pop_nc DOUBLE, part_pop_cl DOUBLE, part_pop_bc DOUBLE,
        part_pop_tbc DOUBLE, demo BOOLEAN NOT NULL)""",
    "cm_couverture_geom": """CREATE TABLE IF NOT EXISTS cm_couverture_geom (
        source VARCHAR NOT NULL, millesime VARCHAR NOT NULL, code_source VARCHAR NOT NULL,
        code_commune VARCHAR, code_departement VARCHAR NOT NULL, operateur VARCHAR NOT NULL,
        techno VARCHAR NOT NULL, crs VARCHAR NOT NULL, zone_bonne BLOB, zone_couverte BLOB, demo BOOLEAN NOT NULL)""",
    "cm_combinaison": """CREATE TABLE IF NOT EXISTS cm_combinaison (
        millesime VARCHAR NOT NULL, techno VARCHAR NOT NULL, code_commune VARCHAR NOT NULL,
        code_departement VARCHAR NOT NULL, operateurs VARCHAR NOT NULL, n_operateurs INTEGER NOT NULL,
        part_bonne_au_moins_un DOUBLE NOT NULL, part_bonne_tous DOUBLE NOT NULL, part_aucune DOUBLE NOT NULL)""",
    "cm_newdeal": """CREATE TABLE IF NOT EXISTS cm_newdeal (
        source VARCHAR NOT NULL, millesime VARCHAR NOT NULL, code_source VARCHAR NOT NULL,
        code_commune VARCHAR, code_departement VARCHAR NOT NULL, num_arrete VARCHAR NOT NULL,
        date_publication DATE NOT NULL, echeance DATE NOT NULL, operateurs VARCHAR NOT NULL,
        origine_zone VARCHAR, date_mise_en_service DATE, en_service BOOLEAN NOT NULL, demo BOOLEAN NOT NULL)""",
    "fr_valeurs": """CREATE TABLE IF NOT EXISTS fr_valeurs (
        source VARCHAR NOT NULL, millesime VARCHAR NOT NULL, code_source VARCHAR NOT NULL,
        code_commune VARCHAR, code_departement VARCHAR NOT NULL, indicateur VARCHAR NOT NULL,
        valeur DOUBLE NOT NULL, demo BOOLEAN NOT NULL)""",
}
# Long-format tables: one row per commune and indicator; a file replaces the indicators it carries.
LONG_TABLES = {"fr_valeurs"}
TABLE_COLUMNS = {
    "cf_debits": ["locaux", "locaux_8mbits", "locaux_30mbits", "locaux_100mbits", "locaux_1gbits"],
    "cf_ftth": ["locaux_ftth_raccordables", "categorie"],
    "cf_informations": ["logements", "etablissements", "zone", "operateur_amii", "rurale", "montagne"],
    "cm_sites": ["operateur", "site_2g", "site_3g", "site_4g", "longitude", "latitude"],
    "cm_couverture_geom": ["operateur", "techno", "crs", "zone_bonne", "zone_couverte"],
    "cm_newdeal": ["num_arrete", "date_publication", "echeance", "operateurs", "origine_zone", "date_mise_en_service", "en_service"],
    "cm_couverture": [
        "operateur", "techno", "part_surface_nc", "part_surface_cl", "part_surface_bc", "part_surface_tbc",
        "part_pop_nc", "part_pop_cl", "part_pop_bc", "part_pop_tbc",
    ],
}
# Tables of one pillar: demonstration values are replaced pillar by pillar (DESIGN), so that
# no indicator ever mixes real and demonstration inputs.
PILLAR_TABLES = {
    "connectivite-fixe": ["cf_debits", "cf_ftth", "cf_informations"],
    "connectivite-mobile": ["cm_sites", "cm_couverture", "cm_newdeal"],
    "fragilite": ["fr_valeurs"],
}
# A file replaces rows of its vintages, in its départements, for these key values only
# (one coverage file is one operator and one technology).
REPLACE_KEYS = {"cm_couverture": ["operateur", "techno"], "cm_couverture_geom": ["operateur", "techno"]}
# Points farther than this from every commune (degrees, about 2 km) are rejected.
MAX_LOCATE_DISTANCE = 0.02
MAX_LISTED = 20
# Collectivités d'outre-mer that ARCEP files include but the référentiel (mainland France and
# the DROM) does not: their rows are skipped as "hors champ", counted and listed.
OUTSIDE_SCOPE = ("975", "977", "978", "98")
# source kind -> (parser, warehouse tables)
SOURCES = {
    "arcep-mci-communes": (arcep_mci.parse, ["cf_debits"]),
    "arcep-ftth-communes": (arcep_ftth.parse_deployment, ["cf_ftth"]),
    "arcep-ftth-informations": (arcep_ftth.parse_information, ["cf_informations"]),
    "arcep-mci-batiments": (arcep_batiments.aggregate, ["cf_debits", "cf_ftth"]),
    "insee-indicateurs": (insee.parse, ["fr_valeurs"]),
    "arcep-mobile-sites": (arcep_mobile.parse_sites, ["cm_sites"]),
    "arcep-mobile-communes": (arcep_mobile.parse_communes, ["cm_couverture"]),
    "arcep-mobile-couverture": (arcep_mobile.parse_coverage, ["cm_couverture", "cm_couverture_geom"]),
    "arcep-newdeal-sites": (arcep_mobile.parse_new_deal, ["cm_newdeal"]),
}
# Parsers that read the warehouse (commune contours) or take a CRS.
NEEDS_WAREHOUSE = {"arcep-mobile-couverture"}


class IngestRefused(Exception):
    """The file is not loaded; `problems` say why (file, line, field, reason)."""

    def __init__(self, problems: list[Problem], report: "Report | None" = None):
        super().__init__("\n".join(str(p) for p in problems[:MAX_LISTED]))
        self.problems = problems
        self.report = report


@dataclass
class Report:
    source: str
    fichier: str
    millesimes: list[str] = field(default_factory=list)
    lues: int = 0
    chargees: int = 0
    rejetees: list[Problem] = field(default_factory=list)
    anciens_codes: int = 0
    hors_champ: list[str] = field(default_factory=list)
    non_rattachees: list[tuple[str, str]] = field(default_factory=list)  # (code, département)
    notes: list[str] = field(default_factory=list)
    deja_importe: bool = False
    remplace_demo: bool = False

    def as_dict(self) -> dict:
        return {
            "source": self.source,
            "fichier": self.fichier,
            "millesimes": self.millesimes,
            "lignes_lues": self.lues,
            "lignes_chargees": self.chargees,
            "lignes_rejetees": len(self.rejetees),
            "rejets": [str(p) for p in self.rejetees[:MAX_LISTED]],
            "anciens_codes_rattaches": self.anciens_codes,
            "codes_non_rattaches": [{"code": c, "departement": d} for c, d in self.non_rattachees],
            "codes_hors_champ": self.hors_champ,
            "notes": self.notes,
            "deja_importe": self.deja_importe,
            "remplace_demo": self.remplace_demo,
        }


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    for ddl in TABLES.values():
        con.execute(ddl)


def tables_exist(con: duckdb.DuckDBPyConnection, tables) -> bool:
    """Whether every table exists (usable on a read-only connection)."""
    names = {n for (n,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    return set(tables) <= names


def read_passage(path: Path) -> dict[str, str]:
    """An INSEE "table de passage": two code columns, former then current. Accepts
    `CODGEO_2019;CODGEO_2024` (oldest year = former) or `ancien;actuel`."""
    text, _ = read_text(path)
    lines = text.splitlines()
    if not lines:
        raise SourceError(Problem(path.name, None, None, "fichier vide"))
    delim = sniff_delimiter(lines[0])
    reader = csv.reader(lines, delimiter=delim)
    header = [h.strip().lower() for h in next(reader)]
    years = sorted((h for h in header if h.startswith("codgeo_")), key=lambda h: h[7:])
    if len(years) >= 2:
        old, new = header.index(years[0]), header.index(years[-1])
    elif {"ancien", "actuel"} <= set(header):
        old, new = header.index("ancien"), header.index("actuel")
    else:
        raise SourceError(Problem(path.name, 1, None, "colonnes attendues : CODGEO_<année> (deux années) ou ancien;actuel"))
    out = {}
    for line, row in enumerate(reader, start=2):
        if len(row) <= max(old, new):
            raise SourceError(Problem(path.name, line, None, "ligne incomplète"))
        out[row[old].strip().upper()] = row[new].strip().upper()
    return out


class Reconciler:
    """Maps a source commune code to a current commune (or None: non rattachée)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, passage: dict[str, str] | None = None):
        self.current = {c for (c,) in con.execute("SELECT code FROM ref_commune").fetchall()}
        if not self.current:
            raise SourceError(Problem("entrepôt", None, None, "référentiel absent : lancez « terrinum init »"))
        self.aliases = dict(con.execute("SELECT code, commune_code FROM ref_alias").fetchall())
        self.departements = {c for (c,) in con.execute("SELECT code FROM ref_departement").fetchall()}
        self.passage = passage or {}

    def __call__(self, code: str) -> tuple[str | None, bool]:
        """(current commune code or None, whether a former code was mapped)."""
        if code in self.current:
            return code, False
        if code in self.aliases:
            return self.aliases[code], True
        target = self.passage.get(code)
        if target is not None:
            target = target if target in self.current else self.aliases.get(target)
            if target:
                return target, True
        return None, False


def locate(con: duckdb.DuckDBPyConnection, points: list[tuple[float, float]]) -> list[str | None]:
    """Commune code of each (longitude, latitude): the commune containing it, else the
    nearest within MAX_LOCATE_DISTANCE (coastal sites), else None."""
    import numpy as np
    import shapely

    rows = con.execute("SELECT code, geometrie FROM ref_commune_geom ORDER BY code").fetchall()
    codes = [c for c, _ in rows]
    tree = shapely.STRtree(shapely.from_wkb([g for _, g in rows]))
    pts = shapely.points(np.array(points, dtype=float))
    out: list[str | None] = [None] * len(points)
    found = tree.query(pts, predicate="within")
    for p, g in zip(*found):
        out[p] = codes[g] if out[p] is None else out[p]
    missing = [i for i, c in enumerate(out) if c is None]
    if missing:
        near = tree.query_nearest(pts[missing], max_distance=MAX_LOCATE_DISTANCE)
        for p, g in zip(*near):
            out[missing[p]] = codes[g]
    return out


def already_loaded(con: duckdb.DuckDBPyConnection, source: str, sha256: str) -> bool:
    return con.execute("SELECT count(*) FROM provenance WHERE source = ? AND sha256 = ?", [source, sha256]).fetchone()[0] > 0


def load_rows(
    con: duckdb.DuckDBPyConnection,
    *,
    tables: list[str],
    source: str,
    path: Path,
    parsed: Parsed,
    passage: dict[str, str] | None = None,
    accept_rejects: bool = False,
    sha256: str | None = None,
) -> Report:
    """Reconcile and write the rows of one parsed file, replacing earlier rows of the same
    vintages and every demonstration row of the pillar, in one transaction. The same file
    twice changes nothing."""
    ensure_tables(con)
    report = Report(source=source, fichier=path.name, lues=parsed.read, rejetees=list(parsed.rejected), notes=list(parsed.notes))
    if parsed.rejected and not accept_rejects:
        raise IngestRefused(parsed.rejected, report)
    sha = sha256 or store.sha256_of(path)
    millesimes = sorted({r.get("millesime") or parsed.millesime for r in parsed.rows})
    report.millesimes = millesimes
    if already_loaded(con, source, sha):
        report.deja_importe = True
        report.chargees = 0
        return report
    reconcile = Reconciler(con, passage)
    unplaced = [r for r in parsed.rows if r.get("code_source") is None and r.get("longitude") is not None]
    if unplaced:
        located = locate(con, [(r["longitude"], r["latitude"]) for r in unplaced])
        for r, code in zip(unplaced, located):
            r["code_source"] = code
            r["code_departement"] = departement_of(code) if code else None
        missed = [r for r in unplaced if r["code_source"] is None]
        for r in missed:
            report.rejetees.append(Problem(path.name, r["ligne"], "X/Y", f"({r['longitude']}, {r['latitude']}) n'est dans aucune commune, même à 2 km près"))
        parsed.rows = [r for r in parsed.rows if r.get("code_source") is not None]
        report.notes.append(f"{len(unplaced) - len(missed)} point(s) placé(s) dans leur commune (point dans polygone)")
    values = []
    non_rattachees = {}
    hors_champ = set()
    for r in parsed.rows:
        if r["code_source"].startswith(OUTSIDE_SCOPE):
            hors_champ.add(r["code_source"])
            continue
        code_commune, mapped = reconcile(r["code_source"])
        report.anciens_codes += mapped
        dep = r["code_departement"]
        if code_commune is None:
            if dep not in reconcile.departements:
                report.rejetees.append(Problem(path.name, r["ligne"], "code", f"code {r['code_source']} inconnu et département {dep} inconnu"))
                continue
            non_rattachees[r["code_source"]] = dep
        values.append({**r, "source": source, "millesime": r.get("millesime") or parsed.millesime,
                       "code_commune": code_commune, "code_departement": dep, "demo": False})  # fmt: skip
    if len(report.rejetees) > len(parsed.rejected) and not accept_rejects:
        raise IngestRefused(report.rejetees, report)
    report.non_rattachees = sorted(non_rattachees.items())
    report.hors_champ = sorted(hors_champ)
    if hors_champ:
        report.notes.append(
            f"{len(hors_champ)} commune(s) de collectivités d'outre-mer hors du référentiel (métropole et DROM) ignorée(s) : {', '.join(sorted(hors_champ))}"
        )
    con.execute("BEGIN TRANSACTION")
    try:
        pillar = next(group for group in PILLAR_TABLES.values() if tables[0] in group)
        report.remplace_demo = sum(con.execute(f"SELECT count(*) FROM {t} WHERE demo").fetchone()[0] for t in pillar) > 0
        for t in pillar:
            con.execute(f"DELETE FROM {t} WHERE demo")
        for table in tables:
            if table in LONG_TABLES:
                _replace_long(con, table, parsed.columns, values)
                continue
            # A file replaces its vintages in the départements it covers (a national file: all).
            departements = sorted({v["code_departement"] for v in values})
            keys = REPLACE_KEYS.get(table, [])
            scope = "".join(f" AND {k} IN (SELECT unnest(?))" for k in keys)
            con.execute(
                f"DELETE FROM {table} WHERE millesime IN (SELECT unnest(?)) AND code_departement IN (SELECT unnest(?)){scope}",
                [millesimes, departements, *(sorted({v[k] for v in values}) for k in keys)],
            )
            if values:
                names = ["source", "millesime", "code_source", "code_commune", "code_departement", *TABLE_COLUMNS[table], "demo"]
                batch = _frame([{n: v[n] for n in names} for v in values])  # noqa: F841 (read by DuckDB)
                con.execute(f"INSERT INTO {table} ({', '.join(names)}) SELECT {', '.join(names)} FROM batch")
        store.record_provenance(
            con,
            source=source,
            millesime=",".join(millesimes),
            fichier=path.name,
            sha256=sha,
            lues=parsed.read,
            chargees=len(values),
            rejetees=len(report.rejetees),
            details={k: v for k, v in report.as_dict().items() if k in ("notes", "anciens_codes_rattaches", "codes_non_rattaches", "codes_hors_champ")},
        )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    report.chargees = len(values)
    return report


def _frame(rows: list[dict]) -> pl.DataFrame:
    """Rows handed to DuckDB as a Polars frame, types inferred over every row (a pyarrow table
    would import pandas, about 0.3 s, on every ingest command)."""
    return pl.from_dicts(rows, infer_schema_length=None)


def _replace_long(con: duckdb.DuckDBPyConnection, table: str, indicators: list[str], values: list[dict]) -> None:
    """Replace every value of the file's indicators (whatever their earlier vintage)."""
    con.execute(f"DELETE FROM {table} WHERE indicateur IN (SELECT unnest(?))", [indicators])
    keys = ["source", "millesime", "code_source", "code_commune", "code_departement"]
    long_rows = [{**{k: v[k] for k in keys}, "indicateur": i, "valeur": float(v[i]), "demo": False} for v in values for i in indicators if v.get(i) is not None]
    if long_rows:
        batch = _frame(long_rows)  # noqa: F841 (read by DuckDB)
        names = ", ".join(long_rows[0])
        con.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM batch")


def ingest_file(
    con: duckdb.DuckDBPyConnection,
    source: str,
    path: Path,
    *,
    millesime: str | None = None,
    passage: dict[str, str] | None = None,
    accept_rejects: bool = False,
    crs: str | None = None,
) -> Report:
    """Parse and load one file of a known source kind (see SOURCES)."""
    if source not in SOURCES:
        raise SourceError(Problem(path.name, None, None, f"source inconnue « {source} » (connues : {', '.join(SOURCES)})"))
    if not path.exists():
        raise SourceError(Problem(str(path), None, None, "fichier introuvable"))
    parse, tables = SOURCES[source]
    if path.is_dir():
        # Hash the folder (provenance, idempotence) while the parser reads it.
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=1) as pool:
            digest = pool.submit(directory_sha256, path)
            parsed = parse(path, millesime)
            sha = digest.result()
    elif source in NEEDS_WAREHOUSE:
        parsed, sha = parse(path, millesime, con=con, crs=crs, buildings=store.buildings_dir(con)), None
    else:
        parsed, sha = parse(path, millesime), None
    report = load_rows(con, tables=tables, source=source, path=path, parsed=parsed, passage=passage, accept_rejects=accept_rejects, sha256=sha)
    if parsed.points is not None and not report.deja_importe:
        report.notes.append(f"{write_buildings(con, parsed.millesime, *parsed.points)} position(s) d'immeubles gardée(s) pour répartir la population")
    if source == "arcep-mobile-couverture" and not report.deja_importe and parsed.rows:
        # Derived exact operator combinations for the départements the file touched.
        departements = sorted({r["code_departement"] for r in parsed.rows})
        n = arcep_mobile.combine_operators(con, parsed.millesime, parsed.rows[0]["techno"], departements)
        report.notes.append(f"combinaison exacte des opérateurs recalculée pour {n} commune(s)")
    return report


def write_buildings(con: duckdb.DuckDBPyConnection, millesime: str, points, crs: str) -> int:
    """Building positions and premises, one Parquet file per département (replaced whole)."""
    import polars as pl

    folder = store.buildings_dir(con, millesime)
    folder.mkdir(parents=True, exist_ok=True)
    code = pl.col("code")
    points = points.with_columns(pl.when(code.str.starts_with("97")).then(code.str.slice(0, 3)).otherwise(code.str.slice(0, 2)).alias("dep"))
    for (dep,), part in points.partition_by("dep", as_dict=True).items():
        tmp = folder / f"{dep}.parquet.tmp"
        part.drop("dep").with_columns(pl.lit(crs).alias("crs")).write_parquet(tmp)
        tmp.replace(folder / f"{dep}.parquet")
    return points.height


def directory_sha256(root: Path) -> str:
    """One digest for a folder of files (path names and contents, in sorted order)."""
    import hashlib

    h = hashlib.sha256()
    for p in sorted(q for q in root.rglob("*") if q.is_file()):
        h.update(str(p.relative_to(root)).encode())
        h.update(store.sha256_of(p).encode())
    return h.hexdigest()
