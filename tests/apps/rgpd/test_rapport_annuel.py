"""The DPO's annual report: its figures against a recount from the register's rows, the same
tables in the ODT and the PDF, the structure's report one line per collectivité, and who may
download it."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from odf import opendocument, table, teletype
from pypdf import PdfReader

from terrinum.apps.rgpd import echeances, rapport, services
from terrinum.apps.rgpd.models import Demande

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 11, 30, 12, tzinfo=echeances.PARIS)


def _year_of_work(col, users):
    c = col["signy"]
    for key in ("etat-civil", "listes-electorales", "videoprotection"):
        services.duplicate(key, [c], users["dpo"])
    d = services.record_request(c, users["dpo"], "acces", dt.datetime(2026, 3, 2, 10, tzinfo=echeances.PARIS))
    with time_machine.travel(dt.datetime(2026, 3, 20, 10, tzinfo=echeances.PARIS), tick=False):  # answered in time
        services.answer_request(d, users["dpo"], statut=Demande.REPONDUE)
    services.record_request(c, users["dpo"], "effacement", dt.datetime(2026, 9, 1, 10, tzinfo=echeances.PARIS))  # open, late by November
    services.record_request(c, users["dpo"], "acces", dt.datetime(2025, 12, 1, 10, tzinfo=echeances.PARIS))  # another year
    services.add_action(c, users["dpo"], "Former les agents", dt.date(2026, 1, 15))
    return c


def test_the_collectivite_s_report_counts_what_the_register_holds(rgpd_world):
    org, col, users = rgpd_world
    c = _year_of_work(col, users)
    found = rapport.for_collectivite(c, 2026, NOW)
    tables = {t.titre: t for t in found.tables}
    register = dict(tables["Registre des activités de traitement"].lignes)
    assert register["Activités au registre"] == c.activites.count() == 3
    assert register["analyse d'impact requise"] == c.activites.filter(aipd_requise=True).count()
    requests = tables["Demandes d'exercice des droits reçues en 2026"].lignes
    year = list(Demande.objects.filter(collectivite=c, recue_le__year=2026))
    assert sum(r[1] for r in requests) == len(year) == 2  # the request of 2025 is not counted
    assert sum(r[4] for r in requests) == sum(services.request_late(d, NOW) for d in year) == 1
    (score,) = services.dashboard([c], NOW)
    assert f"{score.score} / 100" in found.sous_titre
    assert [row[1] for row in tables["Score de conformité"].lignes] == [("sans objet" if g is None else g) for _, g, _ in score.details()]
    assert tables["Plan d'actions"].lignes == [["Former les agents", "Moyenne", "15/01/2026", "À faire (en retard)"]]


def test_the_odt_and_the_pdf_carry_the_same_tables(rgpd_world):
    org, col, users = rgpd_world
    found = rapport.for_collectivite(_year_of_work(col, users), 2026, NOW)
    doc = opendocument.load(io.BytesIO(rapport.as_odt(found)))
    tables = doc.text.getElementsByType(table.Table)
    assert len(tables) == sum(1 for t in found.tables if t.lignes)
    first_rows = [[teletype.extractText(cell) for cell in row.getElementsByType(table.TableCell)] for row in tables[0].getElementsByType(table.TableRow)]
    assert first_rows[1] == ["Activités au registre", "3"]
    text = " ".join("".join(p.extract_text() for p in PdfReader(io.BytesIO(rapport.as_pdf(found))).pages).split())
    assert "Rapport annuel du délégué à la protection des données" in text and "Activités au registre 3" in text and "Former les agents" in text


def test_the_structure_s_report_and_who_downloads_what(client, rgpd_world):
    org, col, users = rgpd_world
    _year_of_work(col, users)
    served = [col["signy"], col["ccas"], col["rethel"]]
    found = rapport.for_structure(org["ardennes"], served, 2026, NOW)
    lines = found.tables[0].lignes
    assert [line[0] for line in lines] == ["CCAS de Signy-l'Abbaye", "Commune de Rethel", "Commune de Signy-l'Abbaye", "Ensemble"]
    assert lines[2][2] == 3 and lines[-1][5] == 2  # activities of Signy; requests of 2026 in all
    for who, status in (("dpo", 200), ("gestionnaire", 200), ("dpo-creuse", 404)):
        client.force_login(users[who])
        assert client.get(f"/rgpd/{col['signy'].pk}/rapport-annuel.odt?annee=2026").status_code == status, who
    client.force_login(users["dpo"])
    answer = client.get(f"/rgpd/structures/{org['ardennes'].pk}/rapport-annuel.pdf")
    assert answer.status_code == 200 and answer.content.startswith(b"%PDF")
    client.force_login(users["dpo-creuse"])
    assert client.get(f"/rgpd/structures/{org['ardennes'].pk}/rapport-annuel.pdf").status_code == 404
    empty = rapport.for_structure(org["creuse"], [], 2026, NOW)  # serves nobody yet: an empty report, not an error
    assert "aucune collectivité" in empty.sous_titre and rapport.as_odt(empty)[:2] == b"PK"


def test_the_command_line_writes_the_report(rgpd_world, tmp_path):
    from typer.testing import CliRunner

    from terrinum.cli import app

    org, col, users = rgpd_world
    runner = CliRunner()
    both = runner.invoke(app, ["rgpd", "rapport-annuel", "--sortie", str(tmp_path / "r.odt"), "--compte", "dpo"])
    assert both.exit_code == 64 and "--collectivite ou --structure" in both.output
    done = runner.invoke(
        app,
        [
            "rgpd",
            "rapport-annuel",
            "--structure",
            "Ardennes Numérique (mutualisation)",
            "--annee",
            "2026",
            "--sortie",
            str(tmp_path / "r.odt"),
            "--compte",
            "dpo",
        ],
    )
    assert done.exit_code == 0, done.output
    assert (tmp_path / "r.odt").read_bytes()[:2] == b"PK"
    refused = runner.invoke(app, ["rgpd", "rapport-annuel", "--collectivite", "Commune de Guéret", "--sortie", str(tmp_path / "g.pdf"), "--compte", "dpo"])
    assert refused.exit_code == 1
