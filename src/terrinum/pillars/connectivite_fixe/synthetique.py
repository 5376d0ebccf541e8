"""Synthetic national per-building files (docs/echelle-nationale.md): the files ARCEP publishes
per département (`base_imb_<DEP>.csv.gz`, `eligibilite/<quarter>/actuel_<DEP>.csv.gz`, same
columns), generated from the pillar's commune figures of a quarter — premises, speed classes,
FttH and technology mix, i.e. the demonstration values calibrated on published national
figures, or real figures once imported — so that national runs and benchmarks can be
reproduced anywhere. They are not data: every row is invented (identifiers start with « SYN »,
`imb_source` is « SYNTHETIQUE »), and an import of them loads its rows labelled as
demonstration values.

- Deterministic: each commune's buildings come from a generator seeded by (seed, commune
  code), whatever the départements asked for or the order they are written in.
- Streaming: communes are written in batches of about `BATCH_ROWS` rows to gzip files; a
  département is never held in memory.
- `scale` multiplies the premises (1.0: about 44 million premises, 20 million buildings and
  100 million eligibility rows for France).
"""

from __future__ import annotations

import gzip
import math
import zlib
from collections.abc import Callable
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import shapely

from terrinum.sources.arcep_batiments import KNOWN_CLASSES, SYNTHETIC_SOURCE
from terrinum.territories.reference import transformer
from terrinum.warehouse import store

BASE_COLUMNS = (
    "imb_id;imb_x;imb_y;imb_code;imb_code_insee;imb_nbr_logloc;imb_source;imb_type;addr_code;imb_num;addr_numero;addr_rep;"
    "addr_nom_voie;addr_nom_ld;addr_code_insee;addr_nom_commune;addr_id_fantoir;addr_source"
).split(";")
ELIG_COLUMNS = "imb_id;addr_code;imb_code;code_operateur;code_techno;classe_debit_montant;classe_debit_descendant;limitation;saturation".split(";")
OPERATORS = ("OF", "SFR0", "BOUY", "FREE")
BATCH_ROWS = 500_000
MEAN_PREMISES = 2.2  # premises per building (44.6 M premises in about 20 M buildings)
# Speed classes drawn per building, from the commune's shares (KNOWN_CLASSES order: slowest first).
CLASS_1G, CLASS_100, CLASS_30, CLASS_8, CLASS_3, CLASS_0 = "1000_inf", "100_500", "30_100", "8_30", "3_8", "inf_3M"
assert {CLASS_1G, CLASS_100, CLASS_30, CLASS_8, CLASS_3, CLASS_0} <= set(KNOWN_CLASSES)


def calibration(con: duckdb.DuckDBPyConnection, millesime: str | None = None) -> tuple[str, bool, pl.DataFrame]:
    """(quarter, demonstration?, one row per commune): premises and the shares this
    generator draws from, read from the pillar's tables; the position each commune's
    buildings are spread around (a point inside it, EPSG:3857) and its spread."""
    if millesime is None:
        row = con.execute("SELECT max(millesime) FROM cf_debits").fetchall()[0]
        millesime = row[0] if row else None
    if millesime is None:
        raise ValueError("aucune donnée de connectivité fixe : lancez « terrinum demo » ou importez des données")
    frame = pl.from_arrow(
        con.sql(
            # one row per current commune: a file of an older geography gives a commune
            # nouvelle several rows (its former communes), whose buildings would share ids
            """WITH d AS (SELECT code_commune, any_value(code_departement) AS code_departement, sum(locaux)::BIGINT AS locaux,
                             sum(locaux_8mbits)::BIGINT AS c8, sum(locaux_30mbits)::BIGINT AS c30, sum(locaux_100mbits)::BIGINT AS c100,
                             sum(locaux_1gbits)::BIGINT AS c1g, bool_or(demo) AS demo
                      FROM cf_debits WHERE millesime = $m AND code_commune IS NOT NULL GROUP BY 1),
                  f AS ({ftth}),
                  t AS ({technologies})
           SELECT d.code_commune AS code, d.code_departement AS dep, d.locaux, d.c8, d.c30, d.c100, d.c1g, coalesce(f.ftth, 0) AS ftth,
                  coalesce(t.coax, 0) AS coax, coalesce(t.sans_filaire, 0) AS sans_filaire, coalesce(t.thdr, 0) AS thdr,
                  coalesce(t.g4f, 0) AS g4f, coalesce(t.sat, 0) AS sat, d.demo, g.geometrie
           FROM d LEFT JOIN f USING (code_commune) LEFT JOIN t USING (code_commune)
           JOIN ref_commune_geom g ON g.code = d.code_commune
           WHERE d.locaux > 0
           ORDER BY code""".format(
                ftth="SELECT code_commune, sum(locaux_ftth_raccordables)::BIGINT AS ftth FROM cf_ftth WHERE millesime = $m GROUP BY 1"
                if store.tables_exist(con, ["cf_ftth"])
                else "SELECT NULL AS code_commune, 0 AS ftth WHERE false",
                technologies="""SELECT code_commune, sum(locaux_techno_coax)::BIGINT AS coax, sum(locaux_techno_sans_filaire)::BIGINT AS sans_filaire,
                                       sum(locaux_alt_thdr)::BIGINT AS thdr, sum(locaux_alt_4gf)::BIGINT AS g4f, sum(locaux_alt_sat)::BIGINT AS sat
                                FROM cf_technologies WHERE millesime = $m GROUP BY 1"""
                if store.tables_exist(con, ["cf_technologies"])
                else "SELECT NULL AS code_commune, 0 AS coax, 0 AS sans_filaire, 0 AS thdr, 0 AS g4f, 0 AS sat WHERE false",
            ),
            params={"m": millesime},
        ).to_arrow_table()
    )
    if not frame.height:
        raise ValueError(f"aucune commune avec des locaux au millésime {millesime}")
    geoms = shapely.from_wkb(frame["geometrie"].to_numpy())
    inside = shapely.point_on_surface(geoms)
    x, y = transformer("EPSG:4326", "EPSG:3857").transform(shapely.get_x(inside), shapely.get_y(inside))
    # spread: a quarter of the side of a square of the commune's area (degrees² -> metres, roughly)
    spread = np.sqrt(shapely.area(geoms)) * 111_000 / 4
    frame = frame.drop("geometrie").with_columns(pl.Series("x", x), pl.Series("y", y), pl.Series("spread", spread))
    return millesime, bool(frame["demo"].any()), frame


def _commune(row: dict, scale: float, seed: int) -> tuple[pl.DataFrame, pl.DataFrame] | None:
    """One commune's buildings and eligibility rows."""
    premises = math.floor(row["locaux"] * scale + 0.5)  # half up, as SQL's round
    if premises <= 0:
        return None
    rng = np.random.default_rng([seed, zlib.crc32(row["code"].encode())])
    # premises per building: mostly houses (1), some collective buildings
    per_building = 1 + rng.geometric(1 / MEAN_PREMISES, size=int(premises / (MEAN_PREMISES - 0.5)) + 8) - 1
    per_building = np.maximum(per_building, 1)
    cumulated = np.cumsum(per_building)
    cut = int(np.searchsorted(cumulated, premises))
    n = per_building[: cut + 1].copy()
    n[-1] -= cumulated[cut] - premises  # exactly the commune's premises
    b = len(n)
    total = max(row["locaux"], 1)

    def share(name: str) -> float:
        return min(1.0, max(0.0, row[name] / total))

    u = rng.random(b)  # the building's rank in its commune: low is well served
    ftth = u < share("ftth")
    best = np.select(
        [u < share("c1g"), u < share("c100"), u < share("c30"), u < share("c8"), u < share("c8") + (1 - share("c8")) / 2],
        [CLASS_1G, CLASS_100, CLASS_30, CLASS_8, CLASS_3],
        CLASS_0,
    )
    best = np.where(ftth & ~np.isin(best, [CLASS_1G, CLASS_100]), CLASS_100, best)
    wired_share = 1 - share("sans_filaire")
    no_wire = (rng.random(b) > wired_share) & ~ftth
    coax = ~ftth & ~no_wire & (rng.random(b) < share("coax") / max(1e-9, 1 - share("ftth")))
    wired_code = np.where(ftth, "FO", np.where(coax, "COAX", "CU"))
    operators = rng.integers(1, len(OPERATORS) + 1, size=b)  # operators offering the wired service
    ids = np.char.add(f"SYN{row['code']}-", np.arange(b).astype(str))
    scatter = rng.normal(0.0, row["spread"], size=(b, 2))
    street = rng.integers(1, 60, size=b)
    base = pl.DataFrame(
        {
            "imb_id": ids,
            "imb_x": np.round(row["x"] + scatter[:, 0], 2),
            "imb_y": np.round(row["y"] + scatter[:, 1], 2),
            "imb_code": ids,
            "imb_code_insee": row["code"],
            "imb_nbr_logloc": n,
            "imb_source": SYNTHETIC_SOURCE,
            "imb_type": np.where(n > 1, "IM", "PA"),
            "addr_code": ids,
            "imb_num": rng.integers(1, 200, size=b),
            "addr_numero": rng.integers(1, 200, size=b),
            "addr_rep": "",
            "addr_nom_voie": np.char.add("voie synthétique ", street.astype(str)),
            "addr_nom_ld": "",
            "addr_code_insee": row["code"],
            "addr_nom_commune": "",
            "addr_id_fantoir": "",
            "addr_source": SYNTHETIC_SOURCE,
        }
    )
    # eligibility: one row per wired operator (the first at the best class, the others one
    # class below at most), then the wireless technologies listed for the building
    wired = np.flatnonzero(~no_wire)
    reps = operators[wired]
    row_building = np.repeat(wired, reps)
    rank = np.arange(len(row_building)) - np.repeat(np.cumsum(reps) - reps, reps)
    class_index = {c: i for i, c in enumerate(KNOWN_CLASSES)}
    best_index = np.array([class_index[c] for c in best], dtype=int)
    classes = np.array(KNOWN_CLASSES)[np.maximum(best_index[row_building] - (rank > 0), 0)]
    frames = [
        pl.DataFrame(
            {"b": row_building, "code_operateur": np.array(OPERATORS)[rank % len(OPERATORS)], "code_techno": wired_code[row_building], "classe": classes}
        )
    ]
    # a wireless row at its nominal class, never above the building's best (drawn from the
    # commune's shares, which count every technology)
    for code, name, klass in (("THDR", "thdr", CLASS_30), ("4GF", "g4f", CLASS_30), ("SAT", "sat", CLASS_100)):
        has = np.flatnonzero(rng.random(b) < share(name))
        capped = np.array(KNOWN_CLASSES)[np.minimum(best_index[has], class_index[klass])]
        frames.append(pl.DataFrame({"b": has, "code_operateur": "OF", "code_techno": code, "classe": capped}))
    elig = pl.concat(frames, how="vertical_relaxed").sort("b", maintain_order=True)
    picked = elig["b"].to_numpy()
    elig = pl.DataFrame(
        {
            "imb_id": ids[picked],
            "addr_code": ids[picked],
            "imb_code": ids[picked],
            "code_operateur": elig["code_operateur"],
            "code_techno": elig["code_techno"],
            "classe_debit_montant": elig["classe"],
            "classe_debit_descendant": elig["classe"],
            "limitation": 0,
            "saturation": 0,
        }
    )
    return base, elig


def generate(
    con: duckdb.DuckDBPyConnection,
    root: Path,
    *,
    scale: float = 0.01,
    seed: int = 1,
    departements: list[str] | None = None,
    millesime: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict:
    """Write the files of every département (or those asked for) under `root`; returns what
    was written (quarter, départements, buildings, eligibility rows, calibration)."""
    quarter, demo, frame = calibration(con, millesime)
    if departements:
        wanted = {d.upper().zfill(2) for d in departements}
        unknown = wanted - set(frame["dep"].unique().to_list())
        if unknown:
            raise ValueError(f"département(s) sans données au millésime {quarter} : {', '.join(sorted(unknown))}")
        frame = frame.filter(pl.col("dep").is_in(sorted(wanted)))
    (root / "eligibilite" / quarter).mkdir(parents=True, exist_ok=True)
    totals = {"millesime": quarter, "calibration": "démonstration" if demo else "données importées", "departements": 0, "immeubles": 0, "lignes": 0}
    groups = frame.partition_by("dep", as_dict=True, maintain_order=True)
    for i, ((dep,), communes) in enumerate(sorted(groups.items()), start=1):
        base_path, elig_path = root / f"base_imb_{dep}.csv.gz", root / "eligibilite" / quarter / f"actuel_{dep}.csv.gz"
        with gzip.open(base_path.with_suffix(".tmp"), "wb", compresslevel=1) as fb, gzip.open(elig_path.with_suffix(".tmp"), "wb", compresslevel=1) as fe:
            header = True
            pending: list[tuple[pl.DataFrame, pl.DataFrame]] = []
            size = 0

            def flush() -> None:
                nonlocal header, pending, size
                if not pending:
                    return
                pl.concat([p[0] for p in pending]).write_csv(fb, separator=";", include_header=header)
                pl.concat([p[1] for p in pending]).write_csv(fe, separator=";", include_header=header)
                header, pending, size = False, [], 0

            for row in communes.iter_rows(named=True):
                made = _commune(row, scale, seed)
                if made is None:
                    continue
                pending.append(made)
                size += made[1].height
                totals["immeubles"] += made[0].height
                totals["lignes"] += made[1].height
                if size >= BATCH_ROWS:
                    flush()
            flush()
            if header:  # no commune with premises at this scale: the headers alone
                pl.DataFrame(schema=dict.fromkeys(BASE_COLUMNS, pl.String)).write_csv(fb, separator=";")
                pl.DataFrame(schema=dict.fromkeys(ELIG_COLUMNS, pl.String)).write_csv(fe, separator=";")
        base_path.with_suffix(".tmp").replace(base_path)
        elig_path.with_suffix(".tmp").replace(elig_path)
        totals["departements"] += 1
        if progress:
            progress(i, len(groups))
    return totals
