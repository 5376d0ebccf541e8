"""The data dictionary covers every column of every published indicator table."""

import csv
import io

import pytest
from typer.testing import CliRunner

from terrinum.cli import app
from terrinum.pillars import published_tables
from terrinum.pillars.connectivite_fixe.api import FixedConnectivityOut
from terrinum.pillars.connectivite_mobile.api import MobileOut
from terrinum.pillars.fragilite.api import FragilityOut
from terrinum.warehouse import rollup

pytestmark = pytest.mark.django_db


def test_every_exported_column_is_described():
    for table, columns in published_tables().items():
        specs = rollup.dictionary(columns)
        assert [s.nom for s in specs] == list(columns)
        for s in specs:
            assert s.libelle and s.calcul, (table, s.nom)
    # the API tables have no column the dictionary does not describe
    for schema, table in ((FixedConnectivityOut, "connectivite-fixe"), (MobileOut, "connectivite-mobile"), (FragilityOut, "fragilite")):
        assert set(schema.model_fields) <= set(published_tables()[table]), table


def test_a_column_without_definition_is_named():
    with pytest.raises(KeyError, match="colonne_inventee"):
        rollup.dictionary(["code", "colonne_inventee"])


def test_cli_and_api(client):
    r = CliRunner().invoke(app, ["indicateurs", "dictionnaire", "--pilier", "connectivite-fixe", "--format", "csv"])
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(io.StringIO(r.output)))
    assert [row["colonne"] for row in rows] == list(published_tables()["connectivite-fixe"])
    part = next(row for row in rows if row["colonne"] == "part_30mbits")
    assert part["unite"] == "%" and "locaux_30mbits / locaux" in part["calcul"]
    r = CliRunner().invoke(app, ["indicateurs", "dictionnaire", "--pilier", "inconnu"])
    assert r.exit_code == 1 and "inconnu" in r.output
    everything = client.get("/api/v1/indicateurs/dictionnaire").json()
    assert {row["table"] for row in everything} == set(published_tables())
    assert len(everything) == sum(len(c) for c in published_tables().values())
    assert client.get("/api/v1/indicateurs/dictionnaire?pilier=inconnu").status_code == 404  # no such table
