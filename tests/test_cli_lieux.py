"""CLI verbs of the places pillar: ingest, export, implantation, compte."""

import json

import pytest
from typer.testing import CliRunner

from terrinum.apps.inclusion.models import Lieu
from terrinum.cli import app
from terrinum.planning import siting
from tests.apps.inclusion.factories import place, write_csv

pytestmark = pytest.mark.django_db
runner = CliRunner()


def run(*args, **kw):
    return runner.invoke(app, [str(a) for a in args], **kw)


def said(result) -> str:
    """Output with Rich's line wrapping undone."""
    return " ".join(result.output.split())


def test_ingest_export_reimport(tmp_path):
    path = write_csv(tmp_path / "lieux.csv", [place(id="a"), place(id="b", nom="Autre", frais_a_charge="Offert")])
    r = run("ingest", "lieux-mediation", path)
    assert r.exit_code == 1 and "lieux.csv, ligne 3, champ « frais_a_charge »" in said(r)
    assert Lieu.objects.count() == 0
    r = run("ingest", "lieux-mediation", path, "--accepter-rejets", "--format", "json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["lieux_crees"] == 1
    again = json.loads(run("ingest", "lieux-mediation", path, "--accepter-rejets", "--format", "json").stdout)
    assert again["lieux_inchanges"] == 1 and again["lieux_crees"] == 0
    out = tmp_path / "export.json"
    assert run("lieux", "export", "--format", "json", "--out", out).exit_code == 0
    assert [d["id"] for d in json.loads(out.read_text("utf-8"))] == ["a"]
    assert run("lieux", "export", "--territoire", "08").stdout.count("\n") == 1  # header only
    assert run("ingest", "lieux-mediation", tmp_path / "absent.csv").exit_code == 1
    r = run("indicateurs", "accessibilite", "--niveau", "commune", "--territoire", "200034825", "--format", "json")
    rows = json.loads(r.stdout)
    gueret = next(x for x in rows if x["code"] == "23096")
    assert gueret["distance_moyenne_km"] < 2 and gueret["source"].startswith("registre des lieux (1 lieux)")
    assert all(x["code"].startswith("23") for x in rows)
    longer = json.loads(run("indicateurs", "accessibilite", "--niveau", "commune", "--territoire", "23096", "--detour", "1.3", "--format", "json").stdout)
    assert longer[0]["distance_moyenne_km"] == pytest.approx(1.3 * gueret["distance_moyenne_km"], abs=0.01)
    dep = json.loads(run("indicateurs", "accessibilite", "--niveau", "departement", "--territoire", "23", "--format", "json").stdout)
    assert [x["code"] for x in dep] == ["23"] and dep[0]["nb_lieux"] == 1


def test_implantation_json_and_instance(tmp_path):
    instance = tmp_path / "instance.json"
    r = run("implantation", "--territoire", "240800862", "--nouveaux", 2, "--rayon-km", 10, "--format", "json", "--instance-out", instance)
    assert r.exit_code == 0, r.output
    result = json.loads(r.stdout)
    assert result["methode"].startswith("exact") and len(result["sites_choisis"]) == 2
    assert result["points_de_demande"] == len(json.loads(instance.read_text())["demande"])
    again = siting.solve(siting.Instance.from_json(instance.read_text()), curve=False)
    assert again.value == pytest.approx(result["couvert_apres"], abs=0.1)
    r = run("implantation", "--territoire", "23", "--nouveaux", 2, "--objectif", "distance", "--format", "table")
    assert r.exit_code == 0 and "Sites choisis" in r.stdout
    r = run("implantation", "--territoire", "23", "--nouveaux", 2, "--candidats", tmp_path / "nope.csv")
    assert r.exit_code == 1 and "ni mairies" in said(r)
    r = run("implantation", "--territoire", "23", "--nouveaux", 2, "--poids", "fragilite")
    assert r.exit_code == 1 and "fragilité" in said(r)
    # a time limit asks for the exact method (here it proves the optimum well within it)
    r = run("implantation", "--territoire", "23", "--nouveaux", 2, "--methode", "auto", "--limite-secondes", 60, "--format", "json")
    assert r.exit_code == 0 and json.loads(r.stdout)["methode"].startswith("exact")
    r = run("implantation", "--territoire", "23", "--nouveaux", 2, "--objectif", "distance", "--limite-secondes", 60)
    assert r.exit_code == 1 and "--limite-secondes vaut pour la méthode exacte" in said(r)


def test_compte_creer_gives_a_role(tmp_path, monkeypatch):
    write_csv(tmp_path / "l.csv", [place(id="gueret")])
    run("ingest", "lieux-mediation", tmp_path / "l.csv")
    monkeypatch.setenv("TERRINUM_MOT_DE_PASSE", "secret-de-test")
    r = run("compte", "creer", "conseillere", "--organisation", "Médiathèque de Guéret", "--type", "lieu", "--role", "gestionnaire", "--lieu", "gueret")
    assert r.exit_code == 0, r.output
    from django.contrib.auth.models import User

    from terrinum.accounts import policy

    user = User.objects.get(username="conseillere")
    assert user.check_password("secret-de-test") and policy.can_change(user, Lieu.objects.get(identifiant="gueret"))
    assert run("compte", "creer", "x", "--organisation", "O", "--lieu", "inconnu").exit_code == 1
