"""The diagnostic of one territory, as data: identity, each pillar's headline figures, peers,
priorities and sources. The web page, the PDF, the JSON of the API and the batch render this
one composition (the pillars' sections come from the section registry, report.compose).
Testable without HTTP. Rules: docs/methodologie-diagnostic.md."""

from __future__ import annotations

import statistics
from dataclasses import asdict
from datetime import date

from terrinum.diagnostic import peers as peer_module
from terrinum.diagnostic import priorities
from terrinum.pillars import all_pillars, publication
from terrinum.pillars.findings import Headline, state_of
from terrinum.territories import services
from terrinum.warehouse import store


def headlines() -> tuple[Headline, ...]:
    """Every pillar's headline figures, in pillar order."""
    return tuple(h for p in all_pillars() for h in p.headlines)


def facts(con, t, reference: str = "pays") -> dict:
    """The figures the priority rules read, gathered from every pillar that declares them; a
    key is None when its pillar has no data."""
    out: dict = {"population": t.population}
    for p in all_pillars():
        if p.facts is not None:
            out.update(p.facts(con, t, reference))
    return out


def peer_block(con, t, k: int = peer_module.K) -> dict | None:
    """The territory's peers and, for each headline figure, its value, its rank among itself
    and its peers (1 = best) and its gap to the peers' median."""
    if t.niveau not in publication.LEVELS or t.niveau == "pays":
        return None
    level = peer_module.of_level(t.niveau)
    nearest = level.nearest.get(t.code)
    if not nearest:
        return None
    nearest = nearest[:k]
    codes = [t.code] + [c for c, _ in nearest]
    from terrinum.territories.models import Territory

    names = dict(Territory.objects.filter(niveau=t.niveau, code__in=codes).values_list("code", "nom"))
    figures_of = headlines()
    values: dict[str, dict[str, float | None]] = {h.key: {} for h in figures_of}
    demo = False
    for h in figures_of:
        if con is None or not publication.available(con, h.table):
            continue
        for code, value, is_demo in latest_values(con, h, t.niveau, codes):
            values[h.key][code] = value
            demo |= bool(is_demo)
    figures = []
    for h in figures_of:
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


def published_states(con, t) -> dict[str, str]:
    """The state of each pillar with a section, a published warehouse table and no state of
    its own, from the territory's own rows of that table."""
    out = {}
    for p in all_pillars():
        if p.section is None or p.state is not None or p.indicators is None or not p.indicators.reads_warehouse:
            continue
        try:
            out[p.key] = state_of(publication.territory_rows(con, p.indicators.table, t.niveau, t.code))
        except ValueError:
            out[p.key] = "absent"
    return out


def pillar_states(f: dict, published: dict[str, str] | None = None) -> dict[str, str]:
    """Per pillar with a section: "reel", "partiel" (some of its figures rest on
    demonstration values), "demo" or "absent"; from the pillar's own reading of the facts,
    else from the territory's rows of its published table (`published_states`); a pillar
    with neither (an operational app) counts as real."""
    published = published or {}
    return {p.section.title: p.state(f) if p.state is not None else published.get(p.key, "reel") for p in all_pillars() if p.section is not None}
