"""Technologies d'accès: premises by best wired technology, wireless alternatives, premises
left below 8 and 30 Mbit/s by wire and what they can use instead, and the premises in the
scope of the State's « Cohésion numérique des territoires » scheme.

Method: methodologie/methodologie-technologies.md. Table cf_technologies (tables.py), filled
by the per-building import (`terrinum ingest arcep-mci-batiments`) or `terrinum demo`."""

from __future__ import annotations

import duckdb

from terrinum.pillars.technologies.tables import COUNTS, TABLES
from terrinum.sources.arcep_batiments import ALTERNATIVES, WIRED_CLASSES
from terrinum.territories.helpers import TerritorySet
from terrinum.warehouse import store
from terrinum.warehouse.rollup import IndicatorSpec, declare, register, rollup, sum_of, within_codes

PILIER = "technologies"
# « le plus souvent grâce au nouveau réseau de fibre optique (pour près de 85 % des foyers) »
# (Plan France Très Haut Débit, as the Secretary of State for Digital Affairs recalled in 2019).
PLAN_FTTH_SHARE = 85.0
WIRED_LABELS = {
    "ftth": "fibre jusqu'à l'abonné (FttH)",
    "coax": "câble (réseau coaxial)",
    "cu_30": "cuivre (VDSL2) à 30 Mbit/s ou plus",
    "cu_8": "cuivre (ADSL, VDSL2) de 8 à 30 Mbit/s",
    "cu_inf8": "cuivre sous 8 Mbit/s",
    "sans_filaire": "aucune offre filaire",
}
ALTERNATIVE_LABELS = {"thdr": "THD radio", "4gf": "4G fixe", "wmx": "radio haut débit (WiMAX)", "sat": "satellite"}
BEHIND_LABELS = {"inf8": "sous 8 Mbit/s", "inf30": "sous 30 Mbit/s"}
SHARES = [*(f"part_techno_{c}" for c in WIRED_CLASSES), *(f"part_alt_{a}" for a in ALTERNATIVES), "part_filaire_inf8", "part_filaire_inf30"]
COLUMNS = [
    "code", "nom", "niveau", "millesime", "source", "demo", "locaux", *COUNTS, *SHARES,
    "ecart_ftth_plan", "zone_initiative_publique_connue", "locaux_cohesion_2020",
]  # fmt: skip

_LABELS = {
    **{f"locaux_techno_{c}": f"Locaux dont la meilleure technologie filaire est : {label}" for c, label in WIRED_LABELS.items()},
    **{f"locaux_alt_{a}": f"Locaux éligibles à une offre {label}" for a, label in ALTERNATIVE_LABELS.items()},
    **{f"locaux_filaire_{s}": f"Locaux {label} par les réseaux filaires" for s, label in BEHIND_LABELS.items()},
}
for _s, _label in BEHIND_LABELS.items():
    _LABELS.update({f"locaux_{_s}_{a}": f"Locaux {_label} en filaire, éligibles à une offre {lb}" for a, lb in ALTERNATIVE_LABELS.items()})
    _LABELS[f"locaux_{_s}_satellite_seul"] = f"Locaux {_label} en filaire dont la seule solution listée est le satellite"
    _LABELS[f"locaux_{_s}_sans_solution"] = f"Locaux {_label} en filaire sans aucune offre sans fil listée"
_BUILDINGS = "par immeuble, fichiers « Ma connexion internet » de l'Arcep ; somme des communes"
for _name in COUNTS:
    register(IndicatorSpec(_name, PILIER, _LABELS[_name], "locaux", _BUILDINGS, sum_of(_name)))
declare(
    PILIER,
    (
        *((f"part_{c[len('locaux_'):]}", "Part des locaux : " + _LABELS[c][len("Locaux ") :], "%", f"100 × {c} / locaux, sommes du territoire")
          for c in (*(f"locaux_techno_{w}" for w in WIRED_CLASSES), *(f"locaux_alt_{a}" for a in ALTERNATIVES), "locaux_filaire_inf8", "locaux_filaire_inf30")),
        ("ecart_ftth_plan", "Écart de la part FttH aux « près de 85 % » du Plan France Très Haut Débit", "points",
         f"part_techno_ftth − {PLAN_FTTH_SHARE:g}"),
        ("zone_initiative_publique_connue", "Zone de déploiement connue pour toutes les communes", "booléen",
         "vrai quand l'observatoire FttH importé classe chaque commune du territoire (ZTD, AMII ou RIP)"),
        ("locaux_cohesion_2020", "Locaux dans le champ du dispositif « Cohésion numérique des territoires » (règle du 1er juillet 2020)", "locaux",
         "locaux sous 8 Mbit/s en filaire dans les communes de la zone d'initiative publique (RIP) ; vide si la zone n'est pas connue"),
    ),
)  # fmt: skip


def _zone_join(con) -> str:
    """SQL joining each commune's zone (ZTD, AMII, RIP: latest vintage of the FttH
    information, real values first) as `z.zone`."""
    if not store.tables_exist(con, ["cf_informations"]):
        return "LEFT JOIN (SELECT NULL::VARCHAR AS code_commune, NULL::VARCHAR AS zone) z ON FALSE"
    return """LEFT JOIN (
        SELECT code_commune, any_value(zone) AS zone FROM cf_informations
        WHERE millesime = coalesce((SELECT max(millesime) FROM cf_informations WHERE NOT demo), (SELECT max(millesime) FROM cf_informations))
          AND code_commune IS NOT NULL
        GROUP BY code_commune) z ON z.code_commune = t.code_commune"""


def indicator_rows(con: duckdb.DuckDBPyConnection, niveau: str, within: TerritorySet | None = None, millesime: str | None = None) -> list[dict]:
    """One row per territory and vintage: the technology mix, the premises left behind and
    the scheme's scope."""
    if not store.tables_exist(con, TABLES):
        return []
    keep = within_codes(con, niveau, within)
    con.execute(
        f"""CREATE OR REPLACE TEMP VIEW cf_technologies_v AS
            SELECT t.*, t.demo::INTEGER AS demo_n, (z.zone IS NULL)::INTEGER AS zone_inconnue,
                   CASE WHEN z.zone = 'RIP' THEN t.locaux_filaire_inf8 ELSE 0 END AS locaux_cohesion_2020
            FROM cf_technologies t {_zone_join(con)}"""
    )
    measures = [sum_of(c) for c in ("locaux", *COUNTS, "demo_n", "zone_inconnue", "locaux_cohesion_2020")]
    rel = rollup(con, "cf_technologies_v", niveau, measures, group_by=["millesime"], codes=keep)
    sources = _sources(con, niveau, keep)
    names = store.territory_names(con, niveau, list(keep) if keep is not None else None)
    rows = []
    for values in rel.fetchall():
        d = dict(zip(rel.columns, values))
        if millesime and d["millesime"] != millesime:
            continue
        locaux = d["locaux"] or 0
        row = {"code": d["code"], "nom": names.get(d["code"], "(non rattachées)"), "niveau": niveau, "millesime": d["millesime"]}
        row["source"] = sources.get((d["code"], d["millesime"]), "")
        row["demo"] = (d["demo_n"] or 0) > 0
        for c in ("locaux", *COUNTS):
            row[c] = int(d[c] or 0)
        for share in SHARES:
            count = "locaux_" + share[len("part_") :]
            row[share] = round(100 * row[count] / locaux, 2) if locaux else None
        row["ecart_ftth_plan"] = round(row["part_techno_ftth"] - PLAN_FTTH_SHARE, 2) if row["part_techno_ftth"] is not None else None
        known = not d["zone_inconnue"]
        row["zone_initiative_publique_connue"] = known
        row["locaux_cohesion_2020"] = int(d["locaux_cohesion_2020"] or 0) if known else None
        rows.append({c: row.get(c) for c in COLUMNS})
    return rows


def _sources(con, niveau: str, keep: list[str] | None) -> dict[tuple[str, str], str]:
    """The files (or « demo ») behind each territory and vintage."""
    rel = rollup(con, "cf_technologies_v", niveau, [sum_of("demo_n")], group_by=["millesime", "source"], codes=keep)
    out: dict[tuple[str, str], set] = {}
    for row in rel.fetchall():
        d = dict(zip(rel.columns, row))
        out.setdefault((d["code"], d["millesime"]), set()).add(d["source"])
    return {k: " + ".join(sorted(v)) for k, v in out.items()}
