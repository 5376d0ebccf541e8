"""Loading parsed source rows into the warehouse: code reconciliation, one transaction per
file, provenance, idempotence. Generic: the tables come from the pillar that declares the
source kind (terrinum.pillars); this module knows no format and no pillar.

Reconciliation of commune codes (DESIGN "Former commune codes"): a current commune code is
kept; a commune déléguée/associée or municipal arrondissement code goes to its current
commune; a user-supplied INSEE passage table resolves the rest; a code still unknown stays
attached to its département as "non rattachée" (code_commune NULL) and is listed in the
report, so that département, région and France totals equal the file's.
"""

from __future__ import annotations

import hashlib
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from terrinum.sources.common import CheckedReader, Parsed, Problem, SourceError, departement_of, read_text, sniff_delimiter
from terrinum.territories.helpers import CommuneReconciler, PointLocator
from terrinum.warehouse import buildings, store
from terrinum.warehouse.store import TableSpec

# Points farther than this from every commune (degrees, about 2 km) are rejected.
MAX_LOCATE_DISTANCE = 0.02
MAX_LISTED = 20
# Collectivités d'outre-mer that ARCEP files include but the référentiel (mainland France and
# the DROM) does not: their rows are skipped as "hors champ", counted and listed.
OUTSIDE_SCOPE = ("975", "977", "978", "98")


class IngestRefused(Exception):
    """The file is not loaded; `problems` say why (file, line, field, reason)."""

    def __init__(self, problems: list[Problem], report: Report | None = None):
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


def read_passage(path: Path) -> dict[str, str]:
    """An INSEE "table de passage": two code columns, former then current. Accepts
    `CODGEO_2019;CODGEO_2024` (oldest year = former) or `ancien;actuel`."""
    if not path.is_file():
        raise SourceError(Problem(str(path), None, "--passage", "table de passage introuvable (un fichier CSV est attendu)"))
    text, _ = read_text(path)
    lines = text.splitlines()
    if not lines:
        raise SourceError(Problem(path.name, None, None, "fichier vide"))
    try:
        delim = sniff_delimiter(lines[0])
    except ValueError as exc:
        raise SourceError(Problem(path.name, 1, None, str(exc))) from None
    reader = CheckedReader(path.name, lines, delimiter=delim)
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


def reconciler(con: duckdb.DuckDBPyConnection, passage: dict[str, str] | None = None) -> CommuneReconciler:
    """The commune reconciler over the warehouse's reference tables."""
    current = [c for (c,) in con.execute("SELECT code FROM ref_commune").fetchall()]
    if not current:
        raise SourceError(Problem("entrepôt", None, None, "référentiel absent : lancez « terrinum init »"))
    return CommuneReconciler(current, dict(con.execute("SELECT code, commune_code FROM ref_alias").fetchall()), passage)


def locate(con: duckdb.DuckDBPyConnection, points: list[tuple[float, float]]) -> list[str | None]:
    """Commune code of each (longitude, latitude): the commune containing it, else the
    nearest within MAX_LOCATE_DISTANCE (coastal sites), else None."""
    rows = con.execute("SELECT code, geometrie FROM ref_commune_geom ORDER BY code").fetchall()
    return PointLocator([c for c, _ in rows], [g for _, g in rows]).locate(points, MAX_LOCATE_DISTANCE)


def already_loaded(con: duckdb.DuckDBPyConnection, source: str, sha256: str) -> bool:
    return con.execute("SELECT count(*) FROM provenance WHERE source = ? AND sha256 = ?", [source, sha256]).fetchone()[0] > 0


def load_rows(
    con: duckdb.DuckDBPyConnection,
    *,
    tables: list[TableSpec],
    pillar_tables: list[TableSpec],
    source: str,
    path: Path,
    parsed: Parsed,
    passage: dict[str, str] | None = None,
    accept_rejects: bool = False,
    sha256: str | None = None,
    then: Callable[[duckdb.DuckDBPyConnection, Parsed], str | None] | None = None,
) -> Report:
    """Reconcile and write the rows of one parsed file, replacing earlier rows of the same
    vintages and every demonstration row of the pillar, in one transaction. `then` (a
    pillar's transform) runs inside that transaction, before the provenance is recorded: a
    crash leaves the file either wholly imported, derived tables included, or not at all.
    The same file twice changes nothing."""
    store.ensure_tables(con, [*pillar_tables, *tables])
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
    reconcile = reconciler(con, passage)
    departements_known = {c for (c,) in con.execute("SELECT code FROM ref_departement").fetchall()}
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
            if dep not in departements_known:
                report.rejetees.append(Problem(path.name, r["ligne"], "code", f"code {r['code_source']} inconnu et département {dep} inconnu"))
                continue
            non_rattachees[r["code_source"]] = dep
        values.append({**r, "source": source, "millesime": r.get("millesime") or parsed.millesime,
                       "code_commune": code_commune, "code_departement": dep, "demo": parsed.invented})  # fmt: skip
    if len(report.rejetees) > len(parsed.rejected) and not accept_rejects:
        raise IngestRefused(report.rejetees, report)
    if parsed.invented:  # a pillar never mixes real and demonstration rows
        real = sorted({t.name for t in [*pillar_tables, *tables] if con.execute(f"SELECT count(*) FROM {t.name} WHERE NOT demo").fetchone()[0]})
        if real:
            raise IngestRefused(
                [
                    Problem(
                        path.name,
                        None,
                        None,
                        "fichiers synthétiques (valeurs inventées) refusés : le pilier a des données réelles "
                        f"({', '.join(real)}) et ne mélange jamais réel et démonstration ; importez-les dans un autre "
                        "dossier de données (TERRINUM_DATA_DIR)",
                    )
                ],
                report,
            )
    carried = any(v.get(i) is not None for v in values for i in parsed.columns) if any(spec.long for spec in tables) else bool(values)
    if not carried:  # an empty file never replaces what is loaded
        raise IngestRefused(
            [Problem(path.name, None, None, "aucune valeur à charger (en-tête seul, lignes vides ou toutes rejetées) : rien n'est changé")], report
        )
    report.non_rattachees = sorted(non_rattachees.items())
    report.hors_champ = sorted(hors_champ)
    if hors_champ:
        report.notes.append(
            f"{len(hors_champ)} commune(s) de collectivités d'outre-mer hors du référentiel (métropole et DROM) ignorée(s) : {', '.join(sorted(hors_champ))}"
        )
    with store.transaction(con):
        # Real rows replace every demonstration row of the pillar; invented rows (synthetic
        # files, themselves labelled demonstration) replace only those of their vintage and
        # départements, below.
        demo_tables = [] if parsed.invented else pillar_tables
        report.remplace_demo = sum(con.execute(f"SELECT count(*) FROM {t.name} WHERE demo").fetchone()[0] for t in demo_tables) > 0
        for t in demo_tables:
            con.execute(f"DELETE FROM {t.name} WHERE demo")
        for spec in tables:
            table = spec.name
            if spec.long:
                _replace_long(con, table, parsed.columns, values)
                continue
            # A file replaces its vintages in the départements it covers (a national file: all).
            departements = sorted({v["code_departement"] for v in values})
            keys = spec.replace_keys
            scope = "".join(f" AND {k} IN (SELECT unnest(?))" for k in keys)
            con.execute(
                f"DELETE FROM {table} WHERE millesime IN (SELECT unnest(?)) AND code_departement IN (SELECT unnest(?)){scope}",
                [millesimes, departements, *(sorted({v[k] for v in values}) for k in keys)],
            )
            if values:
                names = ["source", "millesime", "code_source", "code_commune", "code_departement", *spec.values, "demo"]
                store.insert_rows(con, table, [{n: v[n] for n in names} for v in values])
        note = then(con, parsed) if then is not None else None
        if note:
            report.notes.append(note)
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
    report.chargees = len(values)
    return report


def _replace_long(con: duckdb.DuckDBPyConnection, table: str, indicators: list[str], values: list[dict]) -> None:
    """Replace every value of the file's indicators (whatever their earlier vintage)."""
    con.execute(f"DELETE FROM {table} WHERE indicateur IN (SELECT unnest(?))", [indicators])
    keys = ["source", "millesime", "code_source", "code_commune", "code_departement"]
    long_rows = [{**{k: v[k] for k in keys}, "indicateur": i, "valeur": float(v[i]), "demo": False} for v in values for i in indicators if v.get(i) is not None]
    store.insert_rows(con, table, long_rows)


# Staging folders whose files wait for their version's publication (store.after_publish).
_PENDING: set[Path] = set()


def ingest_file(
    con: duckdb.DuckDBPyConnection,
    source: str,
    path: Path,
    *,
    parse: Callable[..., Parsed],
    tables: list[TableSpec],
    pillar_tables: list[TableSpec],
    millesime: str | None = None,
    passage: dict[str, str] | None = None,
    accept_rejects: bool = False,
    parser_options: dict | None = None,
    then: Callable[[duckdb.DuckDBPyConnection, Parsed], str | None] | None = None,
    staged: bool = False,
) -> tuple[Report, Parsed]:
    """Parse and load one file of a source kind declared by a pillar. `parser_options` are
    the extra keyword arguments the pillar gives its parser (what it reads besides the file).
    The path was checked against the kind by the caller (pillars.ingest.kind_of). `staged`:
    the parser accepts a `staging` folder where it writes per-building files (positions),
    moved beside the warehouse after the commit and removed whatever happens."""
    options = dict(parser_options or {})
    staging = None
    if staged:  # the parser writes per-building files, moved beside the warehouse after the commit
        # Imports run one at a time (publication.next_version): a staging folder already
        # there is a killed import's.
        for stale in store.buildings_dir(con).glob(".en-cours-*"):
            if stale not in _PENDING:  # not one awaiting its version's publication
                shutil.rmtree(stale, ignore_errors=True)
        staging = store.buildings_dir(con) / f".en-cours-{uuid.uuid4().hex}"
        options["staging"] = staging
    try:
        if path.is_dir():
            # Hash the folder (provenance, idempotence) while the parser reads it.
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(max_workers=1) as pool:
                digest = pool.submit(directory_sha256, path)
                parsed = parse(path, millesime, **options)
                # a folder may hold several quarters, one read per import: the digest names it
                sha = digest.result() if parsed.millesime is None else hashlib.sha256(f"{digest.result()}:{parsed.millesime}".encode()).hexdigest()
        else:
            parsed, sha = parse(path, millesime, **options), None
        report = load_rows(
            con, tables=tables, pillar_tables=pillar_tables, source=source, path=path, parsed=parsed, passage=passage, accept_rejects=accept_rejects,
            sha256=sha, then=then,
        )  # fmt: skip
        # Building positions are files beside the warehouse, moved there once the version
        # that references them is published (store.after_publish), never before. A crash in
        # between leaves them missing: importing the file again (which the provenance calls
        # "already imported") puts what is missing.
        if parsed.staged is not None:
            folder = store.buildings_dir(con, parsed.millesime)
            positioned = [d for d, info in parsed.partitions.items() if info.get("positions")]
            if not report.deja_importe or buildings.missing(folder, positioned):
                written = sum(info.get("positions", 0) for info in parsed.partitions.values())
                if written:
                    report.notes.append(
                        f"{written} position(s) d'immeubles gardée(s) pour répartir la population"
                        + (" (complétées : elles manquaient)" if report.deja_importe else "")
                    )
                source, partitions = parsed.staged, parsed.partitions

                def promote(source=source, partitions=partitions, folder=folder, staging=staging):
                    try:
                        buildings.promote(source, folder, partitions)
                    finally:
                        discard(staging)

                def discard(staging=staging):
                    _PENDING.discard(staging)
                    shutil.rmtree(staging, ignore_errors=True)

                _PENDING.add(staging)
                store.after_publish(con, promote, on_discard=discard)
                staging = None  # removed by the promotion, or on discard
    finally:  # whatever happened, no staging folder is left behind
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
    return report, parsed


def directory_sha256(root: Path) -> str:
    """One digest for a folder of files (path names and contents, in sorted order)."""
    import hashlib

    h = hashlib.sha256()
    for p in sorted(q for q in root.rglob("*") if q.is_file()):
        h.update(str(p.relative_to(root)).encode())
        h.update(store.sha256_of(p).encode())
    return h.hexdigest()
