"""ARCEP "Ma connexion internet", per-building files, aggregated per commune in one streaming
DuckDB pass (a national quarter is tens of millions of rows; nothing is loaded whole).

Layout (PROVENANCE.md, "Formats with no real sample here"):
- `base_imb_<DEP>.csv.gz`: one row per building, `imb_id`, `imb_code_insee`,
  `imb_nbr_logloc` (premises), coordinates (`imb_x, imb_y`, or `imb_longitude,
  imb_latitude` in 2020 releases), ...
- `eligibilite/<quarter>/actuel_<DEP>.csv.gz`: one row per building × operator ×
  technology: `imb_id`, `code_techno` (CU, COAX, FO, 4GF, THDR, WMX, SAT),
  `classe_debit_descendant`, ...

A building's best speed is the best over its rows; it has FttH when one of its rows is FO.
Speed classes are read by their lower bound in Mbit/s from the class label ("8_30",
"30M_100M", "sup_1G", "inf_3M", "1000_inf"...): no real sample of this file is available
here, so the reader accepts the label shapes ARCEP has used and rejects the others by name.
"""

from __future__ import annotations

import gzip
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

from terrinum.sources.common import Parsed, Problem, SourceError, check_millesime, departement_of

BASE_REQUIRED = {"imb_id", "imb_code_insee", "imb_nbr_logloc"}
ELIG_REQUIRED = {"imb_id", "code_techno", "classe_debit_descendant"}
TECHNOS = ("CU", "COAX", "FO", "4GF", "THDR", "WMX", "SAT")
QUARTER_DIR = re.compile(r"^(\d{4})[_-]?T([1-4])$", re.I)
MAX_EXAMPLES = 10

# Lower bound (Mbit/s) of a speed class label; NULL when the label is not understood.
CLASS_BOUND_SQL = r"""CASE
    WHEN c IS NULL OR trim(c) = '' THEN NULL
    WHEN regexp_matches(lower(c), '^\s*(inf|moins|<)') THEN 0.0
    ELSE TRY_CAST(replace(regexp_extract(c, '(\d+(?:[.,]\d+)?)', 1), ',', '.') AS DOUBLE)
         * CASE WHEN regexp_matches(c, '^\D*\d+(?:[.,]\d+)?\s*[gG]') THEN 1000
                WHEN regexp_matches(c, '^\D*\d+(?:[.,]\d+)?\s*[kK]') THEN 0.001 ELSE 1 END
END"""


@dataclass
class Pair:
    departement: str
    base: Path
    eligibilite: Path


def _header(path: Path) -> list[str]:
    try:
        with gzip.open(path, "rt", encoding="utf-8", errors="replace") as f:
            line = f.readline()
    except (OSError, EOFError) as exc:
        raise SourceError(Problem(path.name, None, None, f"fichier gzip illisible ({exc})")) from exc
    if ";" not in line:
        raise SourceError(Problem(path.name, 1, None, "séparateur « ; » attendu"))
    return [c.strip().strip('"').lower() for c in line.rstrip("\r\n").split(";")]


def find_pairs(root: Path, millesime: str | None) -> tuple[list[Pair], str]:
    """Building and eligibility files of each département under `root`, and the vintage."""
    bases = sorted(root.glob("base_imb_*.csv.gz"))
    if not bases:
        raise SourceError(Problem(str(root), None, None, "aucun fichier base_imb_<DEP>.csv.gz"))
    quarter_dirs = [d for d in (root / "eligibilite").glob("*") if d.is_dir() and QUARTER_DIR.match(d.name)]
    if millesime:
        millesime = check_millesime(millesime)
        quarter_dirs = [d for d in quarter_dirs if "{}T{}".format(*QUARTER_DIR.match(d.name).groups()) == millesime]
    if len(quarter_dirs) != 1:
        found = ", ".join(d.name for d in quarter_dirs) or "aucun"
        raise SourceError(Problem(str(root / "eligibilite"), None, None, f"un dossier de trimestre attendu (ex. 2024T4), trouvé : {found} ; précisez --millesime"))
    qdir = quarter_dirs[0]
    quarter = "{}T{}".format(*QUARTER_DIR.match(qdir.name).groups()).upper()
    pairs = []
    for base in bases:
        dep = base.name[len("base_imb_") : -len(".csv.gz")].upper()
        elig = qdir / f"actuel_{dep}.csv.gz"
        if not elig.exists():
            raise SourceError(Problem(str(elig), None, None, f"fichier d'éligibilité absent pour le département {dep}"))
        pairs.append(Pair(dep, base, elig))
    return pairs, quarter


def aggregate(root: Path, millesime: str | None = None, con: duckdb.DuckDBPyConnection | None = None) -> Parsed:
    """Premises per commune by best speed and FttH, in one streaming pass over all files."""
    pairs, quarter = find_pairs(root, millesime)
    for p in pairs:
        for path, required in ((p.base, BASE_REQUIRED), (p.eligibilite, ELIG_REQUIRED)):
            missing = required - set(_header(path))
            if missing:
                raise SourceError(Problem(path.name, 1, None, f"colonnes manquantes : {', '.join(sorted(missing))}"))
    own = con is None
    con = con or duckdb.connect()
    base_list = [str(p.base) for p in pairs]
    elig_list = [str(p.eligibilite) for p in pairs]
    opts = "delim=';', header=true, all_varchar=true, filename=true"
    con.execute(f"CREATE OR REPLACE TEMP MACRO classe_min(c) AS ({CLASS_BOUND_SQL})")
    con.execute(
        f"""CREATE OR REPLACE TEMP VIEW elig AS
            SELECT imb_id, upper(code_techno) AS techno, classe_min(classe_debit_descendant) AS mbits,
                   classe_debit_descendant AS classe, filename
            FROM read_csv({elig_list}, {opts})"""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP VIEW base AS
            SELECT imb_id, upper(trim(imb_code_insee)) AS code, TRY_CAST(imb_nbr_logloc AS INTEGER) AS n,
                   imb_nbr_logloc AS n_raw, filename
            FROM read_csv({base_list}, {opts})"""
    )
    techno_list = ", ".join(f"'{t}'" for t in TECHNOS)
    # One pass over the eligibility rows: best class and FttH per building, plus error counts.
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE best AS
            SELECT imb_id, max(mbits) AS mbits, bool_or(techno = 'FO') AS ftth,
                   count(*) FILTER (WHERE mbits IS NULL) AS bad_class,
                   count(*) FILTER (WHERE techno NOT IN ({techno_list})) AS bad_techno, count(*) AS n_rows
            FROM elig GROUP BY imb_id"""
    )
    rows = con.execute(
        """SELECT b.code, any_value(b.filename), count(*) AS immeubles,
                  count(*) FILTER (WHERE b.n IS NULL OR b.n < 0) AS bad_n,
                  sum(b.n) FILTER (WHERE b.n >= 0) AS locaux,
                  sum(b.n) FILTER (WHERE e.mbits >= 8) AS c8,
                  sum(b.n) FILTER (WHERE e.mbits >= 30) AS c30,
                  sum(b.n) FILTER (WHERE e.mbits >= 100) AS c100,
                  sum(b.n) FILTER (WHERE e.mbits >= 1000) AS c1g,
                  sum(b.n) FILTER (WHERE e.ftth) AS ftth
           FROM base b LEFT JOIN best e USING (imb_id)
           GROUP BY b.code ORDER BY b.code"""
    ).fetchall()
    stats = con.execute(
        "SELECT coalesce(sum(n_rows), 0), coalesce(sum(bad_class), 0), coalesce(sum(bad_techno), 0), count(*) FROM best"
    ).fetchone()
    parsed = Parsed(millesime=quarter)
    parsed.read = sum(r[2] for r in rows)
    parsed.notes.append(
        f"{len(pairs)} département(s), {parsed.read} immeubles, {stats[0]} lignes d'éligibilité ({stats[3]} immeubles éligibles à au moins une offre)"
    )
    if stats[1] or stats[2]:
        examples = con.execute(
            f"""SELECT filename, imb_id, classe, techno FROM elig
                WHERE mbits IS NULL OR techno NOT IN ({techno_list}) LIMIT {MAX_EXAMPLES}"""
        ).fetchall()
        for filename, imb, classe, techno in examples:
            field, value = ("code_techno", techno) if techno not in TECHNOS else ("classe_debit_descendant", classe)
            parsed.rejected.append(Problem(Path(filename).name, None, field, f"immeuble {imb} : valeur « {value} » non reconnue"))
        parsed.notes.append(f"{stats[1]} classe(s) de débit et {stats[2]} technologie(s) non reconnue(s)")
    bad_n = sum(r[3] for r in rows)
    if bad_n:
        for filename, imb, raw in con.execute(
            f"SELECT filename, imb_id, n_raw FROM base WHERE n IS NULL OR n < 0 LIMIT {MAX_EXAMPLES}"
        ).fetchall():
            parsed.rejected.append(Problem(Path(filename).name, None, "imb_nbr_logloc", f"immeuble {imb} : « {raw} » n'est pas un nombre de locaux"))
    for code, filename, _, _, locaux, c8, c30, c100, c1g, ftth in rows:
        dep = departement_of(code) if code else None
        if dep is None:
            parsed.rejected.append(Problem(Path(filename).name, None, "imb_code_insee", f"code commune « {code} » invalide"))
            continue
        parsed.rows.append(
            {
                "ligne": None,
                "code_source": code,
                "code_departement": dep,
                "locaux": locaux or 0,
                "locaux_8mbits": c8 or 0,
                "locaux_30mbits": c30 or 0,
                "locaux_100mbits": c100 or 0,
                "locaux_1gbits": c1g or 0,
                "locaux_ftth_raccordables": ftth or 0,
                "categorie": None,
            }
        )
    if own:
        con.close()
    return parsed

