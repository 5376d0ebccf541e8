"""The funder's campaign report: its figures against a recount from the ledger's entries (not
from the vouchers' states the report reads), the same figures in the ODS and the PDF, and who
may download it."""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter

import pytest
import time_machine
from odf.opendocument import load
from odf.table import Table, TableCell, TableRow
from pypdf import PdfReader

from terrinum.apps.pass_numerique import campagne, rapport, services
from terrinum.apps.pass_numerique.models import Mouvement

pytestmark = pytest.mark.django_db
TZ = dt.timezone(dt.timedelta(hours=1))


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(dt.datetime(2031, 2, 1, 9, tzinfo=dt.UTC), tick=False):
        yield


def _campaign(world):
    """Two carnets handed out in February (Guéret, 60-74; Aubusson, 25-59), four vouchers used
    in March, three in April; March settled; at the end, the programme closes and the rest
    is credited back."""
    orgs, lieux_, users, programme = world
    campagne.allocate(programme, orgs["ccas"], 3, services.PLATFORM)
    first, second = programme.carnets_emis.get(numero=1), programme.carnets_emis.get(numero=2)
    with time_machine.travel(dt.datetime(2031, 2, 10, 10, tzinfo=dt.UTC), tick=False):
        services.attribute(first, orgs["ccas"], tranche_age="60-74", commune_code="23096", motif="démarches")
    with time_machine.travel(dt.datetime(2031, 2, 20, 10, tzinfo=dt.UTC), tick=False):
        services.attribute(second, orgs["ccas"], tranche_age="25-59", commune_code="23008", motif="emploi")
    codes = [c.code for c in first.cheques.order_by("id")] + [c.code for c in second.cheques.order_by("id")]
    for i, code in enumerate(codes[:7]):
        when = dt.datetime(2031, 3 if i < 4 else 4, 5 + i, 10, tzinfo=TZ)
        services.redeem(code, lieux_["gueret"], users["conseillere"], now=when)
    services.settle("2031-03", today=dt.date(2031, 4, 2))
    services.expire(dt.date(2032, 2, 1))


def _recount(programme):
    """Each voucher's path from the ledger's entries alone."""
    path: dict[int, list[str]] = {}
    for cheque, vers in Mouvement.objects.filter(cheque__programme=programme).order_by("id").values_list("cheque", "vers"):
        path.setdefault(cheque, []).append(vers)
    steps = Counter(step for p in path.values() for step in set(p))
    return {"commandes": len(path), "utilises": steps["utilise"], "regles": steps["rembourse"], "recredites": steps["expire"], "remis": steps["attribue"]}


def test_the_report_counts_what_the_ledger_says(world):
    orgs, lieux_, users, programme = world
    _campaign(world)
    found = rapport.campaign(programme)
    tables = {t.titre: t for t in found.tables}
    summary = {row[0]: row[1] for row in tables["Synthèse"].lignes}
    truth = _recount(programme)
    assert summary["Commandés"] == truth["commandes"] == 15
    assert summary["Remis aux bénéficiaires"] == truth["remis"] == 10
    assert summary["Utilisés dans un lieu"] == truth["utilises"] == 7
    assert summary["Réglés aux lieux"] == truth["regles"] == 4
    assert summary["Expirés, recrédités au commanditaire"] == truth["recredites"] == 15 - 7
    assert tables["Par mois"].lignes == [["2031-02", 10, 0, 0, 0.0], ["2031-03", 0, 4, 4, 40.0], ["2031-04", 0, 3, 0, 0.0]]
    assert tables["Par prescripteur"].lignes == [["CCAS de Guéret", 3, 2, 10, 7]]
    assert tables["Par lieu"].lignes[0][2:] == [7, 4, 40.0]
    assert [row[1:] for row in tables["Par commune des bénéficiaires"].lignes] == [["23008", 1, 5, 2], ["23096", 1, 5, 5]]
    assert tables["Par tranche d'âge"].lignes == [["25 à 59 ans", 1, 5, 2], ["60 à 74 ans", 1, 5, 5]]


def test_the_ods_and_the_pdf_carry_the_same_figures(world):
    orgs, lieux_, users, programme = world
    _campaign(world)
    found = rapport.campaign(programme)
    book = load(io.BytesIO(rapport.as_ods(found)))
    sheets = {t.getAttribute("name"): t for t in book.spreadsheet.getElementsByType(Table)}
    assert list(sheets) == ["Programme", "Synthèse", "Par mois", "Par prescripteur", "Par lieu", "Par commune des bénéficiaires", "Par tranche d'âge"]
    month_rows = [[str(c) for c in row.getElementsByType(TableCell)] for row in sheets["Par mois"].getElementsByType(TableRow)]
    assert month_rows[2] == ["2031-03", "0", "4", "4", "40.0"]
    text = " ".join("".join(page.extract_text() for page in PdfReader(io.BytesIO(rapport.as_pdf(found))).pages).split())
    assert "Rapport de campagne du Pass numérique" in text and "Réglés aux lieux 4 40,00" in text and "60 à 74 ans 1 5 5" in text


def test_the_report_is_for_those_who_read_the_programme(client, world):
    orgs, lieux_, users, programme = world
    for name, status in (("financeur", 200), ("financeur08", 404), ("conseillere", 404), ("travailleuse", 404)):
        client.force_login(users[name])
        assert [client.get(f"/pass-numerique/programmes/{programme.pk}/rapport.{fmt}").status_code for fmt in ("pdf", "ods")] == [status] * 2, name
    client.force_login(users["financeur"])
    assert f"/pass-numerique/programmes/{programme.pk}/rapport.ods" in client.get("/pass-numerique/").content.decode()


def test_the_command_line_writes_the_report(world, tmp_path):
    from typer.testing import CliRunner

    from terrinum.cli import app

    orgs, lieux_, users, programme = world
    runner = CliRunner()
    wrong = runner.invoke(app, ["pass-numerique", "programme", "rapport", str(programme.pk), "--sortie", str(tmp_path / "r.docx")])
    assert wrong.exit_code == 64 and ".pdf ou .ods" in wrong.output
    done = runner.invoke(app, ["pass-numerique", "programme", "rapport", str(programme.pk), "--sortie", str(tmp_path / "r.ods")])
    assert done.exit_code == 0, done.output
    assert (tmp_path / "r.ods").read_bytes()[:2] == b"PK"
