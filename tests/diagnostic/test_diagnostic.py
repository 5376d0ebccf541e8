"""The territory's diagnostic: peers, priority rules, the composition, the page, the PDF and
the JSON of the API, on the reference and demonstration data."""

import io
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from terrinum.diagnostic import peers, priorities
from terrinum.pillars.fragilite.indicators import CRITERIA

pytestmark = pytest.mark.django_db


# --- peers ------------------------------------------------------------------------------


def _level(demo_warehouse, niveau):
    from terrinum.warehouse import store

    with store.reader() as con:
        return peers.compute(con, niveau)


@pytest.mark.parametrize("niveau", ["commune", "departement", "epci"])
def test_peers_are_of_the_same_level_never_oneself_and_the_distance_is_symmetric(demo_warehouse, niveau):
    from terrinum.territories.models import Territory

    level = _level(demo_warehouse, niveau)
    codes = set(Territory.objects.filter(niveau=niveau).values_list("code", flat=True))
    assert len(level.nearest) > 0.95 * len(codes)
    for code, found in list(level.nearest.items())[:: max(1, len(level.nearest) // 300)]:
        assert code not in [c for c, _ in found] and len(found) == peers.K
        assert {c for c, _ in found} <= codes
        assert [d for _, d in found] == sorted(d for _, d in found)
        for other, d in found:
            assert level.distance(code, other) == pytest.approx(d) == pytest.approx(level.distance(other, code))


def test_a_commune_s_peers_are_in_its_region(demo_warehouse):
    from terrinum.territories.models import Territory

    level = _level(demo_warehouse, "commune")
    region = dict(Territory.objects.filter(niveau="commune").values_list("code", "region_code"))
    assert all(region[c] == region["23096"] for c, _ in level.nearest["23096"])


@settings(max_examples=30, deadline=None)
@given(
    scale=st.floats(0.01, 1000),
    rows=st.lists(st.tuples(st.integers(50, 10**6), st.floats(1, 5000), st.floats(5, 40), st.one_of(st.none(), st.floats(3, 40))), min_size=15, max_size=40),
)
def test_scaling_every_input_leaves_the_peer_order_unchanged(scale, rows):
    values = {f"{i:05d}": {"population": p, "densite": d, "tx_65etplus": a, "tx_pauvrete": v} for i, (p, d, a, v) in enumerate(rows)}
    scaled = {c: {k: (x * scale if x is not None else None) for k, x in v.items()} for c, v in values.items()}
    codes, z = peers.standardise(values)
    _, z2 = peers.standardise(scaled)
    for i in range(len(codes)):
        order = sorted(range(len(codes)), key=lambda j: (peers.distance(z[i], z[j]), j))
        order2 = sorted(range(len(codes)), key=lambda j: (peers.distance(z2[i], z2[j]), j))
        d1 = [round(peers.distance(z[i], z[j]), 6) for j in order]
        d2 = [round(peers.distance(z2[i], z2[j]), 6) for j in order2]
        assert d1 == d2


def test_distance_uses_the_descriptors_both_have():
    a = np.array([0.0, 0.0, 0.0, math.nan])
    b = np.array([1.0, 1.0, 1.0, 5.0])
    assert peers.distance(a, b) == pytest.approx(1.0) == pytest.approx(peers.distance(b, a))


# --- priority rules ---------------------------------------------------------------------


def _speed_row(part8=100.0, part30=100.0, locaux=1000):
    return {
        "millesime": "2024T4", "source": "arcep", "demo": False, "locaux": locaux,
        "part_8mbits": part8, "part_30mbits": part30,
        "objectif_8mbits_atteint": part8 >= 100, "objectif_30mbits_atteint": part30 >= 100,
        "locaux_manquants_8mbits": round(locaux * (100 - part8) / 100), "locaux_manquants_30mbits": round(locaux * (100 - part30) / 100),
    }  # fmt: skip


def _ftth(part, locaux=1000, projection="2029T2"):
    return {"millesime": "2024T4", "source": "arcep", "demo": False, "part_ftth": part, "locaux": locaux,
            "locaux_ftth_raccordables": round(locaux * part / 100), "projection_ftth_100": projection}  # fmt: skip


def _mobile(blanche=None, blanche_max=None, late=0, decided=0, good=90.0):
    return {"millesime": "2024T4", "source": "arcep", "demo": False, "pop_zone_blanche_4g": blanche, "pop_zone_blanche_4g_max": blanche_max,
            "nd_sites_en_retard": late, "nd_sites_decides": decided, "part_pop_4g_bonne_au_moins_un": good, "part_pop_4g_bonne_au_moins_un_min": None}  # fmt: skip


def _fragility(index=5.0, notes=None, at_risk=800, population=5000, nom="T"):
    notes = notes or {}
    row = {"nom": nom, "source": "insee", "demo": False, "indice_global": index, "personnes_a_risque_haut": at_risk, "population": population}
    row.update({f"score_{c}": notes.get(c, 5.0) for c in CRITERIA})
    return row


def _facts(**over):
    base = {
        "population": 5000, "fixe_debits": _speed_row(), "fixe_ftth": _ftth(80.0), "fixe_ftth_france": _ftth(80.0),
        "mobile": _mobile(), "fragilite": _fragility(), "fragilite_reference": _fragility(nom="France"),
        "lieux": {"population": 5000, "pop_au_dela_20km": 0}, "lieux_pass": 1,
    }  # fmt: skip
    base.update(over)
    return base


def _found(facts, rule):
    return [f for f in priorities.evaluate(facts, {})["priorites"] if f.regle.startswith(rule)]


CASES = {
    "debit-8mbits": ({"fixe_debits": _speed_row(part8=97.0, part30=90.0)}, "Locaux sans 8 Mbit/s", 30),
    "debit-30mbits": ({"fixe_debits": _speed_row(part8=100.0, part30=90.0)}, "Locaux sans 30 Mbit/s", 100),
    "fibre-retard": ({"fixe_ftth": _ftth(60.0)}, "Locaux raccordables à la fibre", 60.0),
    "zone-blanche-4g": ({"mobile": _mobile(blanche=120)}, "Habitants sans 4G d'aucun opérateur", 120),
    "new-deal-retard": ({"mobile": _mobile(late=2, decided=3)}, "Sites New Deal en retard", 2),
    "fragilite-tx_65etplus": ({"fragilite": _fragility(notes={"tx_65etplus": 7.5})}, "Note « Personnes de 65 ans ou plus »", 7.5),
    "eloignement-20km": ({"lieux": {"population": 5000, "pop_au_dela_20km": 600}}, "Habitants à plus de 20 km d'un lieu", 600),
    "pass-absent": ({"fragilite": _fragility(index=7.0), "lieux_pass": 0}, "Indice de fragilité numérique", 7.0),
}
NOT_TRIGGERED = {
    "debit-8mbits": {"fixe_debits": _speed_row(part8=100.0, part30=90.0)},
    "debit-30mbits": {"fixe_debits": _speed_row()},
    "fibre-retard": {"fixe_ftth": _ftth(76.0)},
    "zone-blanche-4g": {"mobile": _mobile(blanche=20)},
    "new-deal-retard": {"mobile": _mobile(late=0, decided=3)},
    "fragilite-tx_65etplus": {"fragilite": _fragility(notes={"tx_65etplus": 5.9})},
    "eloignement-20km": {"lieux": {"population": 5000, "pop_au_dela_20km": 200}},
    "pass-absent": {"fragilite": _fragility(index=7.0), "lieux_pass": 1},
}


@pytest.mark.parametrize("rule", list(CASES))
def test_each_rule_triggers_on_its_threshold_and_cites_the_figure(rule):
    over, label, value = CASES[rule]
    found = _found(_facts(**over), rule)
    assert len(found) == 1, rule
    cited = {f.libelle: f.valeur for f in found[0].chiffres}
    assert cited[label] == value
    assert not _found(_facts(**NOT_TRIGGERED[rule]), rule)


def test_priorities_are_ordered_by_score_and_data_rules_come_last():
    facts = _facts(fixe_debits=_speed_row(part8=90.0, part30=80.0), mobile=_mobile(blanche=120))
    out = priorities.evaluate(facts, {"Connectivité fixe": "demo", "Lieux d'accompagnement": "absent"})
    scores = [p.score for p in out["priorites"] if p.regle != "donnees"]
    assert scores == sorted(scores, reverse=True) and len(scores) >= 3
    assert [p.regle for p in out["priorites"]][-2:] == ["donnees", "donnees"]


def test_nothing_triggered_says_so_with_the_rules_checked():
    out = priorities.evaluate(_facts(), {"Connectivité fixe": "reel"})
    assert out["priorites"] == []
    assert {r["resultat"] for r in out["regles"]} == {"non déclenchée"} and len(out["regles"]) == len(priorities.rules()) + 1
    missing = priorities.evaluate(_facts(mobile=None), {})
    assert {r["regle"]: r["resultat"] for r in missing["regles"]}["zone-blanche-4g"] == "non évaluable : données absentes"


# --- composition, page, PDF, API --------------------------------------------------------


def test_the_cited_figure_equals_the_indicator(demo_warehouse):
    """On the demonstration data, a finding's figure is the published indicator's value."""
    from terrinum.diagnostic import document
    from terrinum.territories import services

    t = services.get("departement", "23")
    d = document.compose(t)
    assert d["demo"] and d["pairs"] and len(d["pairs"]["pairs"]) == peers.K
    fragility = d["chiffres"]["fragilite"]
    for p in d["priorites"]:
        if p["regle"].startswith("fragilite-"):
            criterion = p["regle"].removeprefix("fragilite-")
            assert p["chiffres"][0]["valeur"] == fragility[f"score_{criterion}"]
    assert any(p["regle"] == "donnees" for p in d["priorites"])  # demonstration data is a priority too


def test_the_page_shows_every_section_and_the_territory_page_links_it(client, demo_warehouse):
    html = client.get("/territoires/commune/23096/diagnostic/").content.decode()
    for title in ("Identité", "Connectivité fixe", "Connectivité mobile", "Fragilité numérique", "Lieux d'accompagnement",
                  "Comparaison avec des territoires pairs", "Priorités", "Sources et millésimes"):  # fmt: skip
        assert title in html
    assert "données de démonstration" in html
    assert "/territoires/commune/23096/diagnostic/" in client.get("/territoires/commune/23096/").content.decode()


def test_a_pillar_without_data_is_one_line_and_a_priority(client, fresh_data_dir):
    html = client.get("/territoires/departement/08/diagnostic/").content.decode()
    assert html.count("Pas de données pour ce pilier") == 4  # fixed, technologies, mobile, fragility: nothing imported
    assert "Données à compléter : Connectivité fixe" in html


def test_the_pdf_holds_the_figures_of_the_page(client, demo_warehouse):
    import pypdf

    from terrinum.diagnostic import document
    from terrinum.territories import services

    response = client.get("/territoires/commune/23096/diagnostic.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(response.content))
    text = " ".join(page.extract_text() for page in reader.pages).replace("\u202f", " ").replace("\xa0", " ")
    assert len(reader.pages) >= 5 and "/StructTreeRoot" in reader.trailer["/Root"]  # tagged
    d = document.compose(services.get("commune", "23096"))
    population = f"{d['territoire']['population']:,}".replace(",", " ")
    part30 = f"{d['chiffres']['fixe_debits']['part_30mbits']:.1f}".replace(".", ",")
    low = f"{d['chiffres']['fragilite']['personnes_a_risque_bas']:,.0f}".replace(",", " ")
    for figure in (population, part30, low, "Données de démonstration", "Page 1 sur"):
        assert figure in text, figure


def test_the_api_gives_the_whole_report(client, demo_warehouse):
    body = client.get("/api/v1/territoires/departement/08/diagnostic").json()
    assert body["territoire"]["code"] == "08" and body["pairs"]["pairs"] and body["regles"]
    assert all({"chiffres", "seuil", "score"} <= set(p) for p in body["priorites"])
    assert client.get("/api/v1/territoires/departement/999/diagnostic").status_code == 404


# --- command line -----------------------------------------------------------------------


def test_the_report_command(demo_warehouse, tmp_path):
    import json

    from typer.testing import CliRunner

    from terrinum.cli import app

    runner = CliRunner()
    r = runner.invoke(app, ["rapport", "Guéret", "--format", "json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["territoire"]["code"] == "23096"
    out = tmp_path / "gueret.pdf"
    assert runner.invoke(app, ["rapport", "23096", "--format", "pdf", "--out", str(out)]).exit_code == 0
    assert out.read_bytes().startswith(b"%PDF")
    assert runner.invoke(app, ["rapport", "Saint-Denis"]).exit_code == 2  # ambiguous: candidates listed
    assert runner.invoke(app, ["rapport"]).exit_code == 64
    assert runner.invoke(app, ["rapport", "--dans", "08"]).exit_code == 64  # a batch needs --niveau and --out


@pytest.mark.realdata
def test_a_pillar_s_state_says_real_partly_demonstration_or_demonstration(tmp_path, reference_build, real_data, monkeypatch):
    """Real INSEE rates beside demonstration coverage: the fragility index is « en partie de
    démonstration », not « de démonstration seulement »; technologies, all demonstration rows,
    are not « réel »."""
    from terrinum.diagnostic import document
    from terrinum.pillars import all_pillars, publication
    from terrinum.pillars.ingest import ingest as ingest_source
    from terrinum.territories import services
    from terrinum.warehouse import store

    root = tmp_path / "data"
    with publication.next_version(root / "warehouse.duckdb") as con:
        store.publish_reference_build(con, reference_build, "test")
        for pillar in all_pillars():
            if pillar.demo is not None:
                pillar.demo(con)
        folder = real_data / "insee"
        ingest_source(con, "insee-indicateurs", folder / "indicateurs_communes_diplome_menages_age_emploi.csv", millesime="2016")
        ingest_source(con, "insee-indicateurs", folder / "taux_pauvrete_communes.csv", millesime="2016")
    monkeypatch.setenv("TERRINUM_DATA_DIR", str(root))
    d = document.compose(services.get("departement", "23"))
    fragility = d["chiffres"]["fragilite"]
    assert set(fragility["criteres_demonstration"].split(", ")) == {"part_locaux_sans_30mbits", "part_pop_sans_4g"}
    assert d["piliers"]["Fragilité numérique"] == "partiel"
    assert d["piliers"]["Technologies d'accès"] == "demo"
    texts = {p["titre"]: p["constat"] for p in d["priorites"] if p["regle"] == "donnees"}
    assert "en partie de démonstration" in texts["Données à compléter : Fragilité numérique"]
    assert "démonstration seulement" in texts["Données à compléter : Technologies d'accès"]


def _structure(reader) -> list[dict]:
    """The PDF's structure elements (the tags a screen reader follows), in order: type, title,
    alternative text, layout box."""
    out = []

    def walk(node):
        node = node.get_object()
        if not isinstance(node, dict):
            return
        if "/S" in node:
            box = next((a.get("/BBox") for a in node.get("/A", []) if isinstance(a, dict)), None) if isinstance(node.get("/A"), list) else None
            out.append({"type": node["/S"], "title": node.get("/T"), "alt": node.get("/Alt"), "box": [float(v) for v in box] if box else None})
        kids = node.get("/K")
        for kid in kids if isinstance(kids, list) else [kids] if kids is not None else []:
            walk(kid)

    walk(reader.trailer["/Root"]["/StructTreeRoot"])
    return out


def _lines(page) -> list[tuple[float, str]]:
    """A page's lines of text, top to bottom: (height from the page's bottom, text); pieces on
    the same baseline (within 2 pt) joined left to right."""
    pieces = []

    def seen(text, cm, tm, font, size):
        if text.strip():
            pieces.append((tm[4] * cm[1] + tm[5] * cm[3] + cm[5], tm[4] * cm[0] + tm[5] * cm[2] + cm[4], text.strip()))

    page.extract_text(visitor_text=seen)
    lines: list[list] = []
    for y, x, text in sorted(pieces, key=lambda p: -p[0]):
        if lines and abs(lines[-1][0] - y) <= 2:
            lines[-1][1].append((x, text))
        else:
            lines.append([y, [(x, text)]])
    return [(y, " ".join(t for _, t in sorted(parts))) for y, parts in lines]


def test_the_pdf_is_tagged_for_screen_readers(demo_warehouse):
    """What PDF/UA asks that can be read back (Typst checks the rest as it writes the file, and
    refuses to): language, title shown, marked content, one first-level heading, every drawing
    a figure with its alternative text, every table a header row of header cells."""
    import pypdf

    from terrinum.diagnostic import rendering as diagnostic
    from terrinum.territories import services

    gueret = services.get("commune", "23096")
    reader = pypdf.PdfReader(io.BytesIO(diagnostic.pdf(gueret)))
    root = reader.trailer["/Root"]
    assert root["/Lang"].startswith("fr") and root["/MarkInfo"]["/Marked"] and root["/ViewerPreferences"]["/DisplayDocTitle"]
    assert reader.metadata.title == "Diagnostic numérique — Guéret" and "<pdfuaid:part>1</pdfuaid:part>" in root["/Metadata"].get_object().get_data().decode()
    tags = _structure(reader)
    types = [t["type"] for t in tags]
    assert types.count("/H1") == 1 and types.count("/H2") >= 10
    figures = [t for t in tags if t["type"] == "/Figure"]
    page = diagnostic.html(gueret, pdf=True)
    assert len(figures) == page.count("<svg") >= 3 and all(f["alt"] for f in figures)
    assert types.count("/Table") == types.count("/THead") == page.count("<table") and "/TH" in types


def test_the_pdf_draws_every_drawing_at_its_size(demo_warehouse):
    """The maps and charts are laid out in the PDF with a size (a drawing sized only by the
    page's stylesheet once came out 0 high, invisible, while the text around it passed)."""
    import pypdf

    from terrinum.diagnostic import rendering as diagnostic
    from terrinum.territories import services

    reader = pypdf.PdfReader(io.BytesIO(diagnostic.pdf(services.get("commune", "23096"))))
    boxes = [t["box"] for t in _structure(reader) if t["type"] == "/Figure"]
    sizes = [(b[2] - b[0], b[3] - b[1]) for b in boxes]
    assert len(sizes) >= 3 and all(w > 100 and h > 50 for w, h in sizes), sizes


def test_the_pdf_layout_keeps_things_together_and_on_the_page(demo_warehouse):
    """Guéret's PDF had 18 pages: a map alone on page 2, pages holding one or two lines (a
    section per page), captions stranded at page bottoms, tables running off the right edge."""
    import re
    from html import unescape

    import pypdf

    from terrinum.diagnostic import rendering as diagnostic
    from terrinum.territories import services

    gueret = services.get("commune", "23096")
    reader = pypdf.PdfReader(io.BytesIO(diagnostic.pdf(gueret)))
    width, margin = float(reader.pages[0].mediabox.width), 15 * 72 / 25.4
    tags = _structure(reader)
    for t in tags:
        if t["type"] in ("/Table", "/Figure") and t["box"]:  # a table broken over pages has no single box
            assert margin - 1 <= t["box"][0] and t["box"][2] <= width - margin + 1, t  # inside the text width
    page = diagnostic.html(gueret, pdf=True)
    stranded = {unescape(re.sub(r"<[^>]+>|\s+", " ", m)).strip() for m in re.findall(r"<(?:caption|h2|h3)[^>]*>(.*?)</(?:caption|h2|h3)>", page, re.S)}
    footer = 18 * 72 / 25.4  # the bottom margin: page numbers below it
    for number, p in enumerate(reader.pages, 1):
        body = [(y, text) for y, text in _lines(p) if y > footer]
        last = body[-1][1]
        assert not (len(last) >= 8 and any(s.startswith(last) for s in stranded)), (number, "titre ou légende seul en bas de page", last)
        if number < len(reader.pages):  # only the last page may be short
            assert float(p.mediabox.height) - body[-1][0] > 0.4 * float(p.mediabox.height), (number, [t for _, t in body][:6])
    assert len(reader.pages) <= 12
