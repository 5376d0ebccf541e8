"""Zones of intervention of the fibre rollout (the schéma directeur's first inventory): each
commune's zone in ARCEP's FttH information file — very dense zone (ZTD), the private
operators' L.33-13 commitments (AMII, with the committed operator) or the public-initiative
networks (RIP) — and, per zone, its premises (logements + établissements of the information
vintage) and its FttH-connectable premises at each quarter of the deployment file. A read
function of the pillar (docs/architecture.md): the schéma directeur and its data-truth test
call it, nobody else names its tables."""

from __future__ import annotations

from dataclasses import dataclass

from terrinum.warehouse import store
from terrinum.warehouse.rollup import JOINS, level_key

ZONES = ("ZTD", "AMII", "RIP")
# Density class of a commune, as ARCEP's information file flags it (« Commune rurale »): the
# schéma directeur's unit costs may differ between them; "inconnue" where the file says
# nothing (demonstration rows).
CLASSES = {"rurale": "communes rurales", "urbaine": "autres communes", "inconnue": "classe non renseignée"}
OPERATORS = {"FRTE": "Orange", "SFR0": "SFR"}


@dataclass
class ZoneRow:
    zone: str
    communes: int
    locaux: int
    raccordables: dict[str, int]  # quarter -> FttH-connectable premises
    operateurs: dict[str, int]  # AMII: committed operator -> communes
    demo: bool
    restants: int = 0  # premises left to make connectable at the latest quarter, summed per commune line
    restants_par_classe: dict[str, int] | None = None  # the same by density class (CLASSES)

    def part(self, quarter: str) -> float | None:
        return round(100 * self.raccordables.get(quarter, 0) / self.locaux, 1) if self.locaux else None


@dataclass
class Inventory:
    millesime_informations: str | None
    trimestres: list[str]
    zones: list[ZoneRow]
    par_epci: list[dict]  # one per EPCI × zone, latest quarter: {epci, nom, zone, locaux, raccordables, restants}
    source: str


def operator_label(value: str) -> str:
    """The committed operator(s) as ARCEP's file writes them (« FRTE », « FRTE-SFR0 »,
    « FRTE PARTIELLE ») named for a reader."""
    tokens = value.replace("-", " ").replace("/", " ").split()
    names = [OPERATORS.get(t, t) for t in tokens if t.upper() != "PARTIELLE"]
    return " et ".join(names) + (" (engagement partiel)" if "PARTIELLE" in value.upper() else "")


def _by_class(members, left: dict[str, int]) -> dict[str, int]:
    out: dict[str, int] = {}
    for c in members:
        out[c[7]] = out.get(c[7], 0) + left[c[0]]
    return {k: out[k] for k in CLASSES if k in out}


def _latest_information(con) -> str | None:
    latest = con.execute("SELECT max(millesime) FROM cf_informations WHERE NOT demo").fetchone()[0]
    return latest or con.execute("SELECT max(millesime) FROM cf_informations").fetchone()[0]


def inventory(con, niveau: str, code: str) -> Inventory:
    """The zones of intervention of a territory (France, a région, a département, an EPCI)."""
    if con is None or not store.tables_exist(con, ["cf_informations"]):
        return Inventory(None, [], [], [], "")
    latest = _latest_information(con)
    if latest is None:
        return Inventory(None, [], [], [], "")
    key = level_key(niveau)
    scope = "" if niveau == "pays" else f" AND {key} = ?"
    params = [latest] + ([] if niveau == "pays" else [code])
    # one row per line of the information file (a commune merged since keeps its lines), joined
    # to the deployment file's lines by the file's own commune code (`code_source`)
    base = f"""SELECT t.code_source, t.zone, t.operateur_amii, t.logements + t.etablissements AS locaux, t.demo, t.source, r.epci_code,
                      CASE WHEN t.rurale THEN 'rurale' WHEN NOT t.rurale THEN 'urbaine' ELSE 'inconnue' END AS classe
               FROM cf_informations t {JOINS} WHERE t.millesime = ?{scope}"""
    communes = con.execute(base, params).fetchall()
    if not communes:
        return Inventory(latest, [], [], [], "")
    quarters: list[str] = []
    series: dict[tuple[str, str], int] = {}
    latest_by_line: dict[str, int] = {}
    if store.tables_exist(con, ["cf_ftth"]):
        with_communes = f"WITH c AS ({base}) "
        ftth = con.execute(
            with_communes + "SELECT c.zone, f.millesime, sum(f.locaux_ftth_raccordables) FROM cf_ftth f JOIN c ON c.code_source = f.code_source GROUP BY ALL",
            params,
        ).fetchall()
        quarters = sorted({q for _, q, _ in ftth})
        series = {(z, q): n for z, q, n in ftth}
        if quarters:
            latest_by_line = dict(
                con.execute(
                    with_communes
                    + "SELECT f.code_source, sum(f.locaux_ftth_raccordables) FROM cf_ftth f JOIN c ON c.code_source = f.code_source WHERE f.millesime = ? GROUP BY ALL",
                    [*params, quarters[-1]],
                ).fetchall()
            )
    # premises left: per line of the file, never below zero (a commune whose connectable premises
    # outnumber its counted ones does not make up for another's), so that every level adds up
    left = {c[0]: max(0, c[3] - latest_by_line.get(c[0], 0)) for c in communes}
    rows = []
    for zone in ZONES:
        members = [c for c in communes if c[1] == zone]
        if not members:
            continue
        operators: dict[str, int] = {}
        for c in members:
            if c[2]:
                name = operator_label(c[2])
                operators[name] = operators.get(name, 0) + 1
        rows.append(
            ZoneRow(
                zone, len(members), sum(c[3] for c in members), {q: series.get((zone, q), 0) for q in quarters}, operators, any(c[4] for c in members),
                sum(left[c[0]] for c in members), _by_class(members, left),
            )
        )  # fmt: skip
    names = dict(con.execute("SELECT code, nom FROM ref_territoire WHERE niveau = 'epci'").fetchall())
    by_epci: dict[tuple[str, str], list[int]] = {}
    for c in communes:
        totals = by_epci.setdefault((c[6], c[1]), [0, 0, 0])
        totals[0] += c[3]
        totals[1] += latest_by_line.get(c[0], 0)
        totals[2] += left[c[0]]
    par_epci = [
        {"epci": e, "nom": names.get(e, "(sans intercommunalité)"), "zone": z, "locaux": n[0], "raccordables": n[1], "restants": n[2]}
        for (e, z), n in sorted(by_epci.items(), key=lambda x: (names.get(x[0][0], ""), ZONES.index(x[0][1])))
    ]
    sources = sorted({c[5] for c in communes if c[5]})
    return Inventory(latest, quarters, rows, par_epci, " ; ".join(sources))
