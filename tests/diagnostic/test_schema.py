"""The draft master plan of a département: its chapters from the pillars, the zones of
intervention and their phasing, the investment computed only from the unit costs the reader
gives (none by default), as a page, JSON and from the command line."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from terrinum.diagnostic import schema
from terrinum.territories import services

pytestmark = pytest.mark.django_db


def test_the_master_plan_of_the_creuse(demo_warehouse, client):
    creuse = services.get("departement", "23")
    plan = schema.compose(creuse)
    zones = {z["zone"]: z for z in plan["zones"]["lignes"]}
    assert set(zones) <= {"ZTD", "AMII", "RIP"} and sum(z["communes"] for z in zones.values()) >= 250
    assert plan["investissement"]["total"] is None and all(i["cout_total"] is None for i in plan["investissement"]["lignes"])  # no invented cost
    costed = schema.compose(creuse, {"RIP": 1200.0})
    rip = next(i for i in costed["investissement"]["lignes"] if i["zone"] == "RIP")
    left = next(p["restants"] for p in costed["phasage"] if p["zone"] == "RIP")
    assert rip["restants"] == left and rip["cout_total"] == round(left * 1200) == costed["investissement"]["total"]
    assert left == zones["RIP"]["locaux"] - zones["RIP"]["raccordables"]
    page = client.get("/territoires/departement/23/schema-directeur/", {"cout_RIP": "1200"})
    html = page.content.decode()
    assert page.status_code == 200 and "Zones d'intervention" in html and "Stratégie d'investissement" in html and 'value="1200"' in html
    data = client.get("/territoires/departement/23/schema-directeur/", {"format": "json"}).json()
    assert data["territoire"]["code"] == "23" and data["demo"] is True  # the demonstration values say so
    assert client.get("/territoires/commune/23096/schema-directeur/").status_code == 404
    assert "schema-directeur" in client.get("/territoires/departement/23/").content.decode()
    with pytest.raises(ValueError):
        schema.compose(services.get("commune", "23096"))


def test_the_command_line_writes_the_master_plan(demo_warehouse, tmp_path):
    from terrinum.cli import app

    out = tmp_path / "schema.json"
    done = CliRunner().invoke(app, ["schema-directeur", "departement:23", "--format", "json", "--cout", "RIP=1200", "--sortie", str(out)])
    assert done.exit_code == 0, done.output
    assert json.loads(out.read_text())["investissement"]["total"] > 0
    wrong = CliRunner().invoke(app, ["schema-directeur", "departement:23", "--cout", "FTTH=3"])
    assert wrong.exit_code == 64 and "FTTH" in wrong.output


def test_the_draft_prints_to_pdf_and_opens_in_a_word_processor(demo_warehouse, client, tmp_path):
    """The same chapters in the PDF (no form, no links) and in the ODT (to amend with the
    territory's actors), the investment with the reader's cost."""
    import io

    from odf import opendocument, table, teletype
    from pypdf import PdfReader

    from terrinum.cli import app

    answer = client.get("/territoires/departement/23/schema-directeur/", {"format": "pdf", "cout_RIP": "1200"})
    assert answer.status_code == 200 and answer["Content-Type"] == "application/pdf"
    assert "/StructTreeRoot" in PdfReader(io.BytesIO(answer.content)).trailer["/Root"]  # tagged
    text = " ".join("".join(p.extract_text() for p in PdfReader(io.BytesIO(answer.content)).pages).split())
    assert "6. Stratégie d'investissement" in text and "Calculer" not in text and "Contient des données de démonstration" in text
    plan = schema.compose(services.get("departement", "23"), {"RIP": 1200.0})
    total = plan["investissement"]["total"]
    assert f"{total:,} €".replace(",", " ") in text.replace("\u202f", " ").replace("\xa0", " ")
    odt = client.get("/territoires/departement/23/schema-directeur/", {"format": "odt", "cout_RIP": "1200"})
    doc = opendocument.load(io.BytesIO(odt.content))
    words = " ".join(teletype.extractText(p) for p in doc.text.childNodes)
    assert "Schéma directeur territorial d'aménagement numérique — projet de la Creuse" in words
    rows = [
        [teletype.extractText(c) for c in r.getElementsByType(table.TableCell)]
        for t in doc.text.getElementsByType(table.Table)
        for r in t.getElementsByType(table.TableRow)
    ]
    assert [
        "RIP",
        str(next(i["restants"] for i in plan["investissement"]["lignes"] if i["zone"] == "RIP")),
        "1200.0",
        str(next(i["cout_total"] for i in plan["investissement"]["lignes"] if i["zone"] == "RIP")),
    ] in rows
    page = client.get("/territoires/departement/23/schema-directeur/", {"cout_RIP": "1200"}).content.decode()
    assert "?format=odt&amp;cout_RIP=1200" in page
    missing = CliRunner().invoke(app, ["schema-directeur", "departement:23", "--format", "odt"])
    assert missing.exit_code == 64 and "--sortie" in missing.output
    done = CliRunner().invoke(app, ["schema-directeur", "departement:23", "--format", "pdf", "--sortie", str(tmp_path / "s.pdf")])
    assert done.exit_code == 0 and (tmp_path / "s.pdf").read_bytes().startswith(b"%PDF")


def test_the_financing_plan_splits_the_investment_by_funder_and_year(demo_warehouse, client):
    """The reader's shares and target years: each scenario's years add up to the investment,
    each funder's column to its share; the wireless variant moves premises of the public
    zone to their own unit cost; nothing is assumed without the reader's figures."""
    import datetime as dt

    creuse = services.get("departement", "23")
    plain = schema.compose(creuse, {"RIP": 1200.0})
    assert plain["financement"]["scenarios"] == [] and plain["financement"]["parts"] == {}
    this_year = dt.date.fromisoformat(plain["date"]).year
    shares = {"Etat": 40, "Region": 20, "Departement": 30, "EPCI": 10}
    plan = schema.compose(creuse, {"RIP": 1200.0}, shares, [this_year + 2, this_year + 5], {"part": 10, "cout": 400})
    total = plan["investissement"]["total"]
    fibre = [sc for sc in plan["financement"]["scenarios"] if sc["variante"] == "fibre"]
    assert [sc["cible"] for sc in fibre] == [this_year + 2, this_year + 5] and [len(sc["annees"]) for sc in fibre] == [2, 5]
    for sc in fibre:
        assert abs(sum(a["montant"] for a in sc["annees"]) - total) <= len(sc["annees"])  # rounding per year
        state = sum(a["par_financeur"][0] for a in sc["annees"])
        assert abs(state - total * 0.40) <= len(sc["annees"])
    left = next(i["restants"] for i in plan["investissement"]["lignes"] if i["zone"] == "RIP")
    moved = round(left * 0.10)
    assert plan["financement"]["hertzien"] == {"locaux": moved, "total": round(total - moved * 1200 + moved * 400), "economie": round(moved * 800)}
    page = client.get(
        "/territoires/departement/23/schema-directeur/", {"cout_RIP": "1200", "part_Etat": "40", "part_Region": "20", "cibles": f"{this_year + 2}"}
    ).content.decode()
    assert f"achèvement en {this_year + 2}" in page and "Les parts saisies font 60,0 %" in page


def test_the_command_line_takes_the_funders_and_the_targets(demo_warehouse, tmp_path):
    import datetime as dt

    import time_machine

    from terrinum.cli import app

    year = 2029
    out = tmp_path / "plan.json"
    with time_machine.travel(dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC), tick=False):
        done = CliRunner().invoke(app, ["schema-directeur", "departement:23", "--format", "json", "--cout", "RIP=1000", "--part", "Etat=50", "--part", "Departement=50",
                                        "--cible", str(year), "--sortie", str(out)])  # fmt: skip
    assert done.exit_code == 0, done.output
    plan = json.loads(out.read_text())
    assert [sc["cible"] for sc in plan["financement"]["scenarios"]] == [year] and plan["financement"]["somme_parts"] == 100
    wrong = CliRunner().invoke(app, ["schema-directeur", "departement:23", "--part", "Banque=10"])
    assert wrong.exit_code == 64 and "Banque" in wrong.output


def test_the_inclusion_chapter_says_where_new_places_should_open(demo_warehouse, client):
    """The siting page's default proposal in the plan (same parameters, same kept result), and
    the places' figures it starts from."""
    from terrinum.planning import proposal

    creuse = services.get("departement", "23")
    plan = schema.compose(creuse)
    siting = plan["inclusion"]["implantation"]
    expected = proposal.kept_result(creuse, proposal.siting_params({}))["r"]
    names = [services.get("commune", c["commune_code"]).nom for c in expected["sites_choisis"]]
    assert siting["communes"] == names and siting["part_apres"] == expected["part_couverte_apres"]
    assert siting["part_apres"] >= siting["part_avant"] and len(siting["communes"]) == siting["nouveaux"] == 2
    page = client.get("/territoires/departement/23/schema-directeur/").content.decode()
    assert f"(communes : {', '.join(siting['communes'])})" in page and "la part des personnes à risque d&#x27;illectronisme à moins de 10 km" in page
    assert schema.compose(services.get("region", "75"))["inclusion"]["implantation"] is None  # a région's proposal runs as a job
