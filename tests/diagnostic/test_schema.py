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
