"""The diagnostic of one territory, as data: identity, each pillar's headline figures, peers,
priorities and sources. The web page, the PDF, the JSON of the API and the batch render this
one composition (the pillars' sections come from the section registry, report.compose).
Testable without HTTP. Rules: docs/methodologie-diagnostic.md."""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass
from datetime import date

from terrinum.diagnostic import peers as peer_module
from terrinum.diagnostic import priorities
from terrinum.pillars import publication
from terrinum.pillars.fragilite import indicators as fr
from terrinum.territories import services
from terrinum.territories.helpers import TerritorySet
from terrinum.warehouse import store

INDICATOR_LEVELS = ("commune", "epci", "departement", "region", "pays")


@dataclass(frozen=True)
class Headline:
    """A headline figure compared with the peers: the table it comes from, its column, and
    whether a higher value is better (ranks: 1 = best)."""

    key: str
    libelle: str
    table: str
    column: str  # a column, or an SQL expression of the table's columns (a column empty in every row is text: cast)
    unite: str
    higher_is_better: bool
    decimals: int = 1


HEADLINES = (
    Headline("part_30mbits", "Locaux à 30 Mbit/s ou plus", "connectivite-fixe", "part_30mbits", "%", True),
    Headline("part_ftth", "Locaux raccordables à la fibre", "connectivite-fixe", "part_ftth", "%", True),
    # exact when coverage polygons are loaded, else the lower bound (best operator)
    Headline(
        "part_4g",
        "Population en bonne 4G d'au moins un opérateur",
        "connectivite-mobile",
        "coalesce(TRY_CAST(part_pop_4g_bonne_au_moins_un AS DOUBLE), TRY_CAST(part_pop_4g_bonne_au_moins_un_min AS DOUBLE))",
        "%",
        True,
    ),
    Headline("indice_fragilite", "Indice de fragilité numérique", "fragilite", "indice_global", "sur 10", False),
)


def own_rows(con, table: str, niveau: str, code: str, **options) -> list[dict]:
    """A territory's rows of a pillar's indicator table (every vintage, in the pillar's order)."""
    if con is None or niveau not in INDICATOR_LEVELS:
        return []
    return [r for r in publication.rows(con, table, niveau, TerritorySet.of(niveau, code), **options) if r["code"] == code]


def _latest(rows: list[dict], column: str) -> dict | None:
    measured = [r for r in rows if r.get(column) is not None]
    return max(measured, key=lambda r: r.get("millesime") or "") if measured else None


def facts(con, t, reference: str = "pays") -> dict:
    """The figures the priority rules read; a key is None when its pillar has no data."""
    from terrinum.apps.inclusion.models import Lieu
    from terrinum.pillars.lieux import indicators as accessibility

    out: dict = {"population": t.population}
    fixe = own_rows(con, "connectivite-fixe", t.niveau, t.code)
    out["fixe_debits"] = _latest(fixe, "part_8mbits")
    out["fixe_ftth"] = _latest(fixe, "part_ftth")
    france = own_rows(con, "connectivite-fixe", "pays", "FR")
    out["fixe_ftth_france"] = (
        next((r for r in france if r["millesime"] == out["fixe_ftth"]["millesime"] and r["part_ftth"] is not None), None) if out["fixe_ftth"] else None
    )
    mobile = own_rows(con, "connectivite-mobile", t.niveau, t.code)
    out["mobile"] = max(mobile, key=lambda r: r["millesime"]) if mobile else None
    ref_niveau, ref_code = fr.parse_reference(reference)
    try:
        rows = own_rows(con, "fragilite", t.niveau, t.code, reference=None if reference == "pays" else reference)
    except ValueError:  # no data for the reference
        rows = []
    out["fragilite"] = rows[0] if rows else None
    ref_rows = own_rows(con, "fragilite", ref_niveau, ref_code)
    out["fragilite_reference"] = ref_rows[0] if ref_rows else None
    communes = _communes_of(t)
    if Lieu.objects.exists() and t.niveau in INDICATOR_LEVELS:
        access = accessibility.indicator_rows(t.niveau, [t.code])
        out["lieux"] = access[0].as_dict() if access else None
        out["lieux_pass"] = (
            Lieu.objects.filter(pass_numerique=True, commune_code__in=communes).count()
            if communes is not None
            else Lieu.objects.filter(pass_numerique=True).count()
        )
    else:
        out["lieux"] = out["lieux_pass"] = None
    return out


def _communes_of(t) -> list[str] | None:
    """Codes of the territory's communes (None: every commune, for France)."""
    from terrinum.territories.models import Territory

    if t.niveau == "pays":
        return None
    if t.niveau == "commune":
        return [t.code]
    column = {"epci": "epci_code", "departement": "departement_code", "region": "region_code"}.get(t.niveau)
    if column is None:
        return [t.commune_code] if t.commune_code else []
    return list(Territory.objects.filter(niveau="commune", **{column: t.code}).values_list("code", flat=True))


def peer_block(con, t, k: int = peer_module.K) -> dict | None:
    """The territory's peers and, for each headline figure, its value, its rank among itself
    and its peers (1 = best) and its gap to the peers' median."""
    if t.niveau not in INDICATOR_LEVELS or t.niveau == "pays":
        return None
    level = peer_module.of_level(t.niveau)
    nearest = level.nearest.get(t.code)
    if not nearest:
        return None
    nearest = nearest[:k]
    codes = [t.code] + [c for c, _ in nearest]
    from terrinum.territories.models import Territory

    names = dict(Territory.objects.filter(niveau=t.niveau, code__in=codes).values_list("code", "nom"))
    values: dict[str, dict[str, float | None]] = {h.key: {} for h in HEADLINES}
    demo = False
    for h in HEADLINES:
        if con is None or not publication.available(con, h.table):
            continue
        for code, value, is_demo in latest_values(con, h, t.niveau, codes):
            values[h.key][code] = value
            demo |= bool(is_demo)
    figures = []
    for h in HEADLINES:
        own = values[h.key].get(t.code)
        others = [values[h.key][c] for c, _ in nearest if values[h.key].get(c) is not None]
        if own is None or not others:
            continue
        better = sum(1 for v in others if (v > own if h.higher_is_better else v < own))
        figures.append(
            {
                "cle": h.key,
                "libelle": h.libelle,
                "unite": h.unite,
                "valeur": own,
                "rang": better + 1,
                "sur": len(others) + 1,
                "mediane_pairs": round(statistics.median(others), 2),
                "ecart_mediane": round(own - statistics.median(others), 2),
                "plus_haut_est_mieux": h.higher_is_better,
                "pairs": [{"code": c, "nom": names.get(c, c), "valeur": values[h.key].get(c)} for c, _ in nearest],
            }
        )
    raw = level.raw
    return {
        "pairs": [
            {
                "code": c,
                "nom": names.get(c, c),
                "distance": round(d, 3),
                "population": raw[c]["population"],
                "densite": round(raw[c]["densite"], 1),
                "tx_65etplus": raw[c]["tx_65etplus"],
                "tx_pauvrete": raw[c]["tx_pauvrete"],
            }
            for c, d in nearest
        ],
        "meme_region": level.same_region,
        "descripteurs": peer_module.DESCRIPTORS,
        "chiffres": figures,
        "demo": demo,
    }


def latest_values(con, h: Headline, niveau: str, codes: list[str]):
    """(code, value, demo) of the latest vintage that measures the column, per code."""
    has_vintage = "millesime" in publication.published()[h.table].columns
    order = "millesime DESC, rang" if has_vintage else "rang"
    return con.execute(
        f"""SELECT code, {h.column}, demo FROM {publication.table_name(h.table)}
            WHERE niveau = ? AND code IN (SELECT unnest(?)) AND ({h.column}) IS NOT NULL
            QUALIFY row_number() OVER (PARTITION BY code ORDER BY {order}) = 1""",
        [niveau, codes],
    ).fetchall()


def sources(con) -> list[dict]:
    """Every file the warehouse holds (provenance): source, vintage, file, rows, date."""
    rows = []
    if con is not None and store.tables_exist(con, ["provenance"]):
        rows = con.execute(
            "SELECT source, millesime, fichier, lignes_chargees, CAST(charge_le AS VARCHAR) FROM provenance ORDER BY source, millesime"
        ).fetchall()
    return [{"source": s, "millesime": m, "fichier": f, "lignes": n, "importe_le": (d or "")[:10]} for s, m, f, n, d in rows]


def compose(t, reference: str = "pays", k: int = peer_module.K) -> dict:
    """The diagnostic of a territory as data (the API's JSON; the page and PDF add the
    sections' drawings)."""
    from terrinum.diagnostic import report

    def gather(con):
        return facts(con, t, reference), peer_block(con, t, k), sources(con), published_states(con, t)

    try:
        with store.reader() as con:
            f, block, provenance, published = gather(con)
    except store.Unavailable:  # no warehouse, or an import writing it: the figures are absent
        f, block, provenance, published = gather(None)
    states = pillar_states(f, published)
    evaluated = priorities.evaluate(f, states)
    return {
        "territoire": services.as_dict(t),
        "date": date.today().isoformat(),
        "reference": reference,
        "chiffres": f,
        "piliers": states,
        "pairs": block,
        "priorites": [asdict(p) for p in evaluated["priorites"]],
        "regles": evaluated["regles"],
        "sources": provenance,
        "demo": any(s in ("demo", "partiel") for s in states.values()) or bool(block and block["demo"]),
        "sections": [s.title for s in report.sections()],
    }


# The pillars whose state is read from the figures the priority rules read (facts).
FROM_FACTS = ("connectivite-fixe", "connectivite-mobile", "fragilite", "lieux")


def _state(rows: list[dict]) -> str:
    """ "absent" (no row), "demo" (every row demonstration), "partiel" (some), "reel"."""
    if not rows:
        return "absent"
    demo = [bool(r.get("demo")) for r in rows]
    return "demo" if all(demo) else "partiel" if any(demo) else "reel"


def published_states(con, t) -> dict[str, str]:
    """The state of each other pillar with a section and a published warehouse table, from
    the territory's own rows of that table."""
    from terrinum.pillars import all_pillars

    out = {}
    for p in all_pillars():
        if p.section is None or p.key in FROM_FACTS or p.indicators is None or not p.indicators.reads_warehouse:
            continue
        try:
            out[p.key] = _state(own_rows(con, p.indicators.table, t.niveau, t.code))
        except ValueError:
            out[p.key] = "absent"
    return out


def pillar_states(f: dict, published: dict[str, str] | None = None) -> dict[str, str]:
    """Per pillar with a section: "reel", "partiel" (some of its figures rest on
    demonstration values), "demo" or "absent"; from the figures the rules read, else from the
    territory's rows of the pillar's published table (`published_states`); a pillar with
    neither (an operational app) counts as real."""
    from terrinum.pillars import all_pillars

    def state(*rows) -> str:
        return _state([r for r in rows if r])

    fragility = f["fragilite"]
    if fragility and fragility.get("demo"):
        used = [c for c in (fragility.get("indicateurs_utilises") or "").split(", ") if c]
        in_demo = [c for c in (fragility.get("criteres_demonstration") or "").split(", ") if c]
        fragility_state = "demo" if not used or set(used) <= set(in_demo) else "partiel"
    else:
        fragility_state = state(fragility)
    by_key = {
        "connectivite-fixe": state(f["fixe_debits"], f["fixe_ftth"]),
        "connectivite-mobile": state(f["mobile"]),
        "fragilite": fragility_state,
        "lieux": "reel" if f["lieux"] else "absent",
        **(published or {}),
    }
    return {p.section.title: by_key.get(p.key, "reel") for p in all_pillars() if p.section is not None}
