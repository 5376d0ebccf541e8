"""ARCEP "Ma connexion internet", per-building files, aggregated per commune by one streaming
Polars pass per département (a national quarter is tens of millions of rows; nothing is
loaded whole), the départements mapped embedded or on a Dask cluster (terrinum.engines,
docs/echelle-nationale.md) and their commune sums added.

Layout (PROVENANCE.md, "Formats with no real sample here"):
- `base_imb_<DEP>.csv.gz`: one row per building, `imb_id`, `imb_code_insee`,
  `imb_nbr_logloc` (premises), coordinates (`imb_x, imb_y`, or `imb_longitude,
  imb_latitude` in 2020 releases), ...
- `eligibilite/<quarter>/actuel_<DEP>.csv.gz`: one row per building × operator ×
  technology: `imb_id`, `code_techno` (CU, COAX, FO, 4GF, THDR, WMX, SAT),
  `classe_debit_descendant`, ...

A building's best speed is the best over its rows; it has FttH when one of its rows is FO.
The same pass gives the technology mix (methodologie-technologies.md): each building's best
wired technology (FttH, else cable, else copper by its best speed class, else none), the
wireless technologies listed for it (THD radio, fixed 4G, HD radio, satellite), and the
premises left below 8 and 30 Mbit/s by wire, with the alternatives they have.
Speed classes are read by their lower bound in Mbit/s from the class label ("8_30",
"30M_100M", "sup_1G", "inf_3M", "1000_inf"...): no real sample of this file is available
here, so the reader accepts the label shapes ARCEP has used and rejects the others by name.
"""

from __future__ import annotations

import functools
import gzip
import re
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from terrinum.sources.common import GZIP_ERRORS, Parsed, Problem, SourceError, check_millesime, departement_of, gzip_refusal

BASE_REQUIRED = {"imb_id", "imb_code_insee", "imb_nbr_logloc"}
ELIG_REQUIRED = {"imb_id", "code_techno", "classe_debit_descendant"}
TECHNOS = ("CU", "COAX", "FO", "4GF", "THDR", "WMX", "SAT")
WIRED = ("CU", "COAX", "FO")
# Best wired technology of a building, exclusive classes in this order of precedence.
WIRED_CLASSES = ("ftth", "coax", "cu_30", "cu_8", "cu_inf8", "sans_filaire")
# Wireless alternatives as the files code them (column suffix -> code_techno).
ALTERNATIVES = {"thdr": "THDR", "4gf": "4GF", "wmx": "WMX", "sat": "SAT"}
TERRESTRIAL = ("thdr", "4gf", "wmx")  # alternatives other than satellite
LEFT_BEHIND = {"inf8": "c8", "inf30": "c30"}  # below 8 / 30 Mbit/s by wire
ADDRESS = ("addr_numero", "addr_rep", "addr_nom_voie", "addr_nom_ld")


def technology_columns() -> list[str]:
    """The commune-level counts of the technology mix, in their table's order."""
    return [
        *(f"locaux_techno_{c}" for c in WIRED_CLASSES),
        *(f"locaux_alt_{a}" for a in ALTERNATIVES),
        *(f"locaux_filaire_{s}" for s in LEFT_BEHIND),
        *(f"locaux_{s}_{a}" for s in LEFT_BEHIND for a in (*ALTERNATIVES, "satellite_seul", "sans_solution")),
    ]


QUARTER_DIR = re.compile(r"^(\d{4})[_-]?T([1-4])$", re.I)
MAX_EXAMPLES = 10


@dataclass
class Pair:
    departement: str
    base: Path
    eligibilite: Path


def _header(path: Path) -> list[str]:
    try:
        with gzip.open(path, "rt", encoding="utf-8", errors="replace") as f:
            line = f.readline()
    except GZIP_ERRORS as exc:
        raise SourceError(gzip_refusal(path.name, exc)) from None
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
        raise SourceError(
            Problem(str(root / "eligibilite"), None, None, f"un dossier de trimestre attendu (ex. 2024T4), trouvé : {found} ; précisez --millesime")
        )
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


def _mbits(label: pl.Expr) -> pl.Expr:
    """Lower bound in Mbit/s of a speed class label (null when not understood)."""
    number = label.str.extract(r"(\d+(?:[.,]\d+)?)", 1).str.replace(",", ".").cast(pl.Float64, strict=False)
    unit = (
        pl.when(label.str.contains(r"^\D*\d+(?:[.,]\d+)?\s*[gG]")).then(1000.0)
        .when(label.str.contains(r"^\D*\d+(?:[.,]\d+)?\s*[kK]")).then(0.001)
        .otherwise(1.0)
    )  # fmt: skip
    return pl.when(label.str.to_lowercase().str.contains(r"^\s*(inf|moins|<)")).then(0.0).otherwise(number * unit)


# The class labels ARCEP publishes, read once by `_mbits` and ordered by speed: a file using
# only these (and technology codes written exactly as in TECHNOS) is read through ordered
# Enums (a table lookup, about twice as fast over tens of millions of rows as the regular
# expressions); any other label or code sends the whole file through `_mbits` and upper-casing,
# so that the result and the report are the same either way.
KNOWN_CLASSES = ("inf_3M", "3_8", "8_30", "30_100", "100_500", "500_1000", "1000_inf")
THRESHOLDS = (("c8", 8), ("c30", 30), ("c100", 100), ("c1g", 1000))


@functools.cache
def _class_table() -> tuple[pl.Enum, dict[str, int]]:
    bounds = pl.select(*(_mbits(pl.lit(c)).alias(str(i)) for i, c in enumerate(KNOWN_CLASSES))).row(0)
    order = sorted(range(len(KNOWN_CLASSES)), key=lambda i: bounds[i])
    ranked = [bounds[i] for i in order]
    # rank of the slowest class reaching each threshold (len(...) when none does)
    return pl.Enum([KNOWN_CLASSES[i] for i in order]), {name: next((r for r, b in enumerate(ranked) if b >= v), len(ranked)) for name, v in THRESHOLDS}


def _scan(paths: list[Path], columns: list[str], with_file: bool = False) -> pl.LazyFrame:
    extra = {"include_file_paths": "fichier"} if with_file else {}
    # Lossy decoding: the columns read (identifiers, codes, counts, coordinates) are ASCII; a
    # file saved in latin-1 differs only in the addresses, which are not read.
    frames = [
        pl.scan_csv(p, separator=";", infer_schema=False, encoding="utf8-lossy", **extra).select(*columns, *(["fichier"] if with_file else [])) for p in paths
    ]
    return pl.concat(frames)


SYNTHETIC_SOURCE = "SYNTHETIQUE"  # imb_source of the buildings `terrinum synthetique` invents
POSITIONS_FILE = "{}.parquet"  # per département in a vintage folder: code, x, y, n, crs
LEFT_BEHIND_FILE = "{}-sans-thd.parquet"  # the buildings below 30 Mbit/s by wire, detailed


@dataclass
class Partial:
    """What one département's partition gives the reduction: sums per commune (additive,
    so partials combine in any order or tree), the problems found, and its files, written
    in the staging folder when one was given."""

    departement: str
    per_commune: pl.DataFrame
    mix: pl.DataFrame | None
    problems: list[Problem]
    repeated: int
    buildings_written: int
    inputs: dict


def write_departement(folder: Path, departement: str, points: pl.DataFrame, crs: str, left_behind: pl.DataFrame | None = None) -> int:
    """A département's building files in `folder`: positions and premises (columns code, x,
    y, n in `crs`) and, if given, the buildings below 30 Mbit/s, detailed. Returns the number
    of positions. The positions last: their file says the département's files are all there."""
    folder.mkdir(parents=True, exist_ok=True)
    for frame, name in ((left_behind, LEFT_BEHIND_FILE), (points, POSITIONS_FILE)):
        if frame is not None:
            frame.with_columns(pl.lit(crs).alias("crs")).write_parquet(folder / name.format(departement))
    return points.height


def aggregate(root: Path, millesime: str | None = None, technologies: bool = True, *, engine=None, staging: Path | None = None, progress=None) -> Parsed:
    """Premises per commune by best speed and FttH, and the technology mix (unless
    `technologies` is False: bench/batiments.py measures what it costs). One streaming Polars
    pass per département (`partition`), mapped by `engine` (terrinum.engines: here, one after
    the other, or on a Dask cluster), then summed per commune (`combine`). With `staging`,
    each partition writes its buildings' positions and those below 30 Mbit/s there, for the
    importer to move beside the warehouse once its transaction is committed."""
    from terrinum.engines import Embedded

    pairs, quarter = find_pairs(root, millesime)
    for p in pairs:
        for path, required in ((p.base, BASE_REQUIRED), (p.eligibilite, ELIG_REQUIRED)):
            missing = required - set(_header(path))
            if missing:
                raise SourceError(Problem(path.name, 1, None, f"colonnes manquantes : {', '.join(sorted(missing))}"))
    run = functools.partial(partition, quarter=quarter, technologies=technologies, staging=staging)
    partials = (engine or Embedded()).map(run, pairs, progress)
    parsed = combine(partials, quarter, technologies, staging)
    if any(_synthetic(p.base) for p in pairs):
        parsed.invented = True
        parsed.notes.append("fichiers synthétiques (terrinum synthetique) : valeurs inventées, chargées comme données de démonstration")
    return parsed


def _synthetic(path: Path) -> bool:
    """Whether a building file was written by `terrinum synthetique` (its first building says so)."""
    try:
        with gzip.open(path, "rt", encoding="utf-8", errors="replace") as f:
            header = [c.strip().strip('"').lower() for c in f.readline().rstrip("\r\n").split(";")]
            first = dict(zip(header, f.readline().rstrip("\r\n").split(";")))
    except GZIP_ERRORS as exc:
        raise SourceError(gzip_refusal(path.name, exc)) from None
    return first.get("imb_source") == SYNTHETIC_SOURCE and first.get("imb_id", "").startswith("SYN")


def partition(pair: Pair, quarter: str, technologies: bool = True, staging: Path | None = None) -> Partial:
    """One département's files: the transformation, defined once whatever the engine."""
    try:
        partial = _aggregate(pair, quarter, known_classes=True, technologies=technologies, staging=staging)
        if partial is None:  # a label or technology code outside the tables: the general reading
            partial = _aggregate(pair, quarter, known_classes=False, technologies=technologies, staging=staging)
    except (*GZIP_ERRORS, pl.exceptions.PolarsError) as exc:
        raise SourceError(_culprit([pair.base, pair.eligibilite], exc)) from None
    return partial


def combine(partials: list[Partial], quarter: str, technologies: bool = True, staging: Path | None = None) -> Parsed:
    """The reduction: commune sums of every partition (a commune's buildings are in its
    département's files, but a sum is right whichever partitions they come from)."""
    sums = pl.concat([p.per_commune for p in partials], how="vertical_relaxed").group_by("code").agg(pl.all().sum()).sort("code")
    counts = {}
    if technologies:
        mix = pl.concat([p.mix for p in partials], how="vertical_relaxed").group_by("code").agg(pl.all().sum())
        counts = {r.pop("code"): r for r in mix.to_dicts()}
    rows = sums.to_dicts()
    stats = {k: sum(r[k] or 0 for r in rows) for k in ("n_rows", "bad_class", "bad_techno", "eligibles", "bad_n")}
    parsed = Parsed(millesime=quarter)
    parsed.read = sum(r["immeubles"] for r in rows)
    parsed.notes.append(
        f"{len(partials)} département(s), {parsed.read} immeubles, {stats['n_rows']} lignes d'éligibilité ({stats['eligibles']} immeubles éligibles à au moins une offre)"
    )
    parsed.staged = staging
    parsed.partitions = {
        p.departement: {"immeubles": int(p.per_commune["immeubles"].sum()), "positions": p.buildings_written, "fichiers": p.inputs} for p in partials
    }
    problems = [problem for p in partials for problem in p.problems]
    mix_columns = technology_columns()
    bad_values = [q for q in problems if q.field in ("code_techno", "classe_debit_descendant")]
    parsed.rejected += bad_values[:MAX_EXAMPLES]
    if stats["bad_class"] or stats["bad_techno"]:
        parsed.notes.append(f"{stats['bad_class']} classe(s) de débit et {stats['bad_techno']} technologie(s) non reconnue(s)")
    repeated = sum(p.repeated for p in partials)
    if repeated:
        parsed.rejected += [q for q in problems if q.field == "imb_id"][:MAX_EXAMPLES]
        parsed.notes.append(f"{repeated} immeuble(s) listé(s) plus d'une fois")
    parsed.rejected += [q for q in problems if q.field == "imb_nbr_logloc"][:MAX_EXAMPLES]
    for r in rows:
        dep = departement_of(r["code"]) if r["code"] else None
        if dep is None:
            parsed.rejected.append(Problem("base_imb", None, "imb_code_insee", f"code commune « {r['code']} » invalide"))
            continue
        parsed.rows.append(
            {
                "ligne": None,
                "code_source": r["code"],
                "code_departement": dep,
                "locaux": r["locaux"] or 0,
                "locaux_8mbits": r["c8"] or 0,
                "locaux_30mbits": r["c30"] or 0,
                "locaux_100mbits": r["c100"] or 0,
                "locaux_1gbits": r["c1g"] or 0,
                "locaux_ftth_raccordables": r["ftth"] or 0,
                "categorie": None,
                **({c: counts.get(r["code"], {}).get(c, 0) for c in mix_columns} if technologies else {}),
            }
        )
    return parsed


def _mix_counts(mix: pl.DataFrame) -> pl.DataFrame:
    """The technology-mix counts per commune, from premises per combination of (best wired
    class, lag: 2 below 8 Mbit/s by wire, 1 below 30, wireless technologies as bits)."""
    alt = {a: (pl.col("sans_fil") & (1 << (TECHNOS.index(code) - len(WIRED)))) > 0 for a, code in ALTERNATIVES.items()}
    terrestrial = pl.any_horizontal(*(alt[a] for a in TERRESTRIAL))
    n = pl.col("n")
    exprs = [
        *(n.filter(pl.col("classe") == i).sum().alias(f"locaux_techno_{c}") for i, c in enumerate(WIRED_CLASSES)),
        *(n.filter(alt[a]).sum().alias(f"locaux_alt_{a}") for a in ALTERNATIVES),
    ]
    for s, lag in (("inf8", 2), ("inf30", 1)):
        behind = pl.col("retard") >= lag
        exprs += [
            n.filter(behind).sum().alias(f"locaux_filaire_{s}"),
            *(n.filter(behind & alt[a]).sum().alias(f"locaux_{s}_{a}") for a in ALTERNATIVES),
            n.filter(behind & alt["sat"] & ~terrestrial).sum().alias(f"locaux_{s}_satellite_seul"),
            n.filter(behind & ~alt["sat"] & ~terrestrial).sum().alias(f"locaux_{s}_sans_solution"),
        ]
    return mix.group_by("code").agg(exprs)


def _culprit(paths: list[Path], exc: Exception) -> Problem:
    """The file a failed read came from (the query does not say): the first one that does not
    decompress to its end or whose lines are not all delimited rows."""
    for path in paths:
        try:
            with gzip.open(path, "rb") as f:
                while f.read(1 << 20):
                    pass
        except GZIP_ERRORS as error:
            return gzip_refusal(path.name, error)
    return Problem(paths[0].parent.name, None, None, f"lecture impossible ({exc.__class__.__name__} : {str(exc).splitlines()[0][:200]}) : rien n'est lu")


def _aggregate(pair: Pair, quarter: str, known_classes: bool, technologies: bool = True, staging: Path | None = None) -> Partial | None:
    """One pass over one département's files. `mbits` is the class's lower bound
    (known_classes=False) or its rank in the ordered table of known classes; with known
    classes, returns None when a label or a technology code is not one of them."""
    label = pl.col("classe_debit_descendant")
    if known_classes:
        enum, thresholds = _class_table()
        speed = label.cast(enum, strict=False).to_physical()
        techno = pl.col("code_techno").cast(pl.Enum(TECHNOS), strict=False)
        bad_techno = pl.col("techno").is_null()
    else:
        speed, thresholds = _mbits(label), dict(THRESHOLDS)
        techno = pl.col("code_techno").str.to_uppercase()
        bad_techno = ~pl.col("techno").is_in(TECHNOS)

    def elig_frame(with_file=False):
        return _scan([pair.eligibilite], ["imb_id", "code_techno", "classe_debit_descendant"], with_file).with_columns(
            speed.alias("mbits"), techno.alias("techno")
        )

    # Building positions (for spreading population within communes): EPSG:3857 in current
    # releases (imb_x, imb_y), WGS84 in 2020 ones (imb_longitude, imb_latitude).
    header = _header(pair.base)
    # They and the list of buildings below 30 Mbit/s are computed only to be written.
    xy, xy_crs = (("imb_x", "imb_y"), "EPSG:3857") if "imb_x" in header else (("imb_longitude", "imb_latitude"), "EPSG:4326")
    if staging is None or not set(xy) <= set(header):
        xy, xy_crs = None, None

    def base_frame(with_file=False):
        columns = ["imb_id", "imb_code_insee", "imb_nbr_logloc", *(xy or ()), *([c for c in ADDRESS if c in header] if technologies and xy else ())]
        return _scan([pair.base], columns, with_file).with_columns(
            pl.col("imb_code_insee").str.strip_chars().str.to_uppercase().alias("code"),
            pl.col("imb_nbr_logloc").cast(pl.Int64, strict=False).alias("n"),
        )

    elig, base = elig_frame(), base_frame()
    techno_col = pl.col("techno")
    building_mix = []
    if technologies:
        # the technologies of a building as one bit each (TECHNOS order: wired ones first)
        index = techno_col.to_physical() if known_classes else techno_col.replace_strict({t: i for i, t in enumerate(TECHNOS)}, default=None)
        index = index.cast(pl.UInt8)
        building_mix = [
            pl.when(index < len(WIRED)).then(pl.col("mbits")).max().alias("filaire"),
            pl.lit(2, dtype=pl.UInt8).pow(index).cast(pl.UInt8).bitwise_or().alias("bits"),
        ]
    per_building = elig.group_by("imb_id").agg(
        pl.col("mbits").max(),
        (techno_col == "FO").any().alias("ftth"),
        pl.len().alias("n_rows"),
        pl.col("mbits").is_null().sum().alias("bad_class"),
        bad_techno.sum().alias("bad_techno"),
        *building_mix,
    )
    n = pl.col("n")
    valid = n.is_not_null() & (n >= 0)
    joined = base.join(per_building, on="imb_id", how="left")
    commune_aggs = [
        pl.len().alias("immeubles"),
        (~valid).sum().alias("bad_n"),
        n.filter(valid).sum().alias("locaux"),
        *(n.filter(pl.col("mbits") >= v).sum().alias(name) for name, v in thresholds.items()),
        n.filter(pl.col("ftth")).sum().alias("ftth"),
        pl.col("n_rows").sum(),
        pl.col("bad_class").sum(),
        pl.col("bad_techno").sum(),
        pl.col("n_rows").is_not_null().sum().alias("eligibles"),
    ]

    def xy_columns():
        return [pl.col(xy[0]).cast(pl.Float64, strict=False).alias("x"), pl.col(xy[1]).cast(pl.Float64, strict=False).alias("y")] if xy else []

    # A building listed twice would count its premises twice: each imb_id once, or refused.
    repeated = base.group_by("imb_id").agg(pl.len().alias("fois")).filter(pl.col("fois") > 1).sort("imb_id")
    points = left = mix = None
    if xy:
        points = base.filter(valid & (n > 0)).select("code", *xy_columns(), "n").drop_nulls()
    if technologies:
        # One streaming aggregation per commune and combination of (speed level, best wired
        # class, lag, wireless technologies), from which the commune counts and the technology
        # mix are taken after the pass (a plan in which several queries read the join ran it
        # once each, or held it whole: 1.3× to 2.4× the time). Only what the counts need is a
        # key (the speed by the thresholds it reaches, FttH as the first wired class, the
        # wireless technologies alone): the combinations are fewer, the aggregation faster.
        filaire = pl.col("filaire")
        bits = pl.col("bits").fill_null(0)
        flag = {"ftth": pl.col("ftth").fill_null(False)}
        for key, code in (("coax", "COAX"), ("cu", "CU")):
            flag[key] = (bits & (1 << TECHNOS.index(code))) > 0
        wired_class = (
            pl.when(flag["ftth"])
            .then(0)
            .when(flag["coax"])
            .then(1)
            .when(filaire >= thresholds["c30"])
            .then(2)
            .when(filaire >= thresholds["c8"])
            .then(3)
            .when(flag["cu"])
            .then(4)
            .otherwise(5)
        )  # fmt: skip  (index in WIRED_CLASSES)
        # lag: 2 below 8 Mbit/s by wire, 1 from 8 to 30, 0 at 30 or more
        lag = (filaire.is_null() | (filaire < thresholds["c30"])).cast(pl.UInt8) + (filaire.is_null() | (filaire < thresholds["c8"])).cast(pl.UInt8)
        level = pl.sum_horizontal(*((pl.col("mbits") >= v).cast(pl.UInt8) for v in thresholds.values()))  # 0: below 8 Mbit/s or unknown
        wireless = (bits // (1 << len(WIRED))).cast(pl.UInt8)  # the wireless technologies' bits alone
        combos = joined.group_by(
            "code", level.alias("niveau"), valid.alias("valide"), wired_class.cast(pl.UInt8).alias("classe"), lag.alias("retard"), wireless.alias("sans_fil")
        ).agg(
            pl.len().alias("immeubles"), n.filter(valid).sum().alias("n"), n.sum().alias("n_tous"), pl.col("n_rows").sum(),
            pl.col("bad_class").sum(), pl.col("bad_techno").sum(), pl.col("n_rows").is_not_null().sum().alias("eligibles"),
        )  # fmt: skip
        queries = [combos, repeated, *([points] if xy else [])]
        if xy:
            # The buildings below 30 Mbit/s by wire, listed on the commune's page: those with no
            # wired offer at 30 Mbit/s or more, with their class, technologies and address.
            present = [c for c in ADDRESS if c in header]
            good = per_building.filter(filaire >= thresholds["c30"]).select("imb_id")
            left = (
                base.join(good, on="imb_id", how="anti").join(per_building, on="imb_id", how="left").filter(valid & (n > 0))
                .select(
                    "code", *xy_columns(), "n", wired_class.cast(pl.UInt8).replace_strict(dict(enumerate(WIRED_CLASSES)), return_dtype=pl.String).alias("classe_filaire"),
                    (lag == 2).alias("inf8"), *(((bits & (1 << TECHNOS.index(c))) > 0).alias(f"alt_{a}") for a, c in ALTERNATIVES.items()),
                    "imb_id", *present,
                ).drop_nulls(["x", "y"])
            )  # fmt: skip
            queries.append(left)
        combos, repeated, *rest = pl.collect_all(queries)  # one pass over the files for all results
        points, left = (rest[0], rest[1]) if xy else (None, None)
        n_all = pl.col("n_tous")
        per_commune = (
            combos.group_by("code")
            .agg(
                pl.col("immeubles").sum(), pl.col("immeubles").filter(~pl.col("valide")).sum().alias("bad_n"), pl.col("n").sum().alias("locaux"),
                *(n_all.filter(pl.col("niveau") > i).sum().alias(name) for i, name in enumerate(thresholds)), n_all.filter(pl.col("classe") == 0).sum().alias("ftth"),
                pl.col("n_rows").sum(), pl.col("bad_class").sum(), pl.col("bad_techno").sum(), pl.col("eligibles").sum(),
            )
            .sort("code")
        )  # fmt: skip
        mix = combos.filter(pl.col("valide")).group_by(["code", "classe", "retard", "sans_fil"]).agg(pl.col("n").sum())
    else:
        per_commune, repeated, *rest = pl.collect_all([joined.group_by("code").agg(commune_aggs).sort("code"), repeated, *([points] if xy else [])])
        points = rest[0] if rest else None
    if known_classes and (per_commune["bad_class"].sum() or per_commune["bad_techno"].sum()):
        return None
    problems = []
    if per_commune["bad_class"].sum() or per_commune["bad_techno"].sum():
        # Only when something is wrong: name the files and buildings (first examples).
        examples = elig_frame(True).filter(pl.col("mbits").is_null() | bad_techno).head(MAX_EXAMPLES).collect()
        for r in examples.to_dicts():
            field, value = ("code_techno", r["techno"]) if r["techno"] not in TECHNOS else ("classe_debit_descendant", r["classe_debit_descendant"])
            problems.append(Problem(Path(r["fichier"]).name, None, field, f"immeuble {r['imb_id']} : valeur « {value} » non reconnue"))
    if repeated.height:
        where = base_frame(True).filter(pl.col("imb_id").is_in(repeated["imb_id"].head(MAX_EXAMPLES).implode())).collect()
        files = {}
        for r in where.to_dicts():
            files.setdefault(r["imb_id"], Path(r["fichier"]).name)
        for r in repeated.head(MAX_EXAMPLES).to_dicts():
            problems.append(Problem(files.get(r["imb_id"], "base_imb"), None, "imb_id", f"immeuble {r['imb_id']} listé {r['fois']} fois"))
    if per_commune["bad_n"].sum():
        examples = base_frame(True).filter(n.is_null() | (n < 0)).head(MAX_EXAMPLES).collect()
        for r in examples.to_dicts():
            problems.append(
                Problem(Path(r["fichier"]).name, None, "imb_nbr_logloc", f"immeuble {r['imb_id']} : « {r['imb_nbr_logloc']} » n'est pas un nombre de locaux")
            )
    written = 0
    if staging is not None and points is not None:
        written = write_departement(staging, pair.departement, points, xy_crs, left)
    return Partial(
        departement=pair.departement,
        per_commune=per_commune,
        mix=_mix_counts(mix) if technologies else None,
        problems=problems,
        repeated=repeated.height,
        buildings_written=written,
        inputs={
            "base": {"nom": pair.base.name, "octets": pair.base.stat().st_size},
            "eligibilite": {"nom": f"eligibilite/{pair.eligibilite.parent.name}/{pair.eligibilite.name}", "octets": pair.eligibilite.stat().st_size},
        },
    )
