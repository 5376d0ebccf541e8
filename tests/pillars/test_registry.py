"""A pillar is a folder: the test pillar of `tests/pillars/piliers_essai/essai/`, discovered
like the packaged ones (its folder put on the pillars' path; the test registers nothing), is
found by `terrinum ingest` (and its help), `terrinum indicateurs`, the API schema, the data
dictionary, `/donnees/`, the territory page (section and comparison column), the report
(HTML, PDF, JSON: its headline figure among the peers, its priority rule, its state), and
the visitors' kept pages change after its import. The walkthrough of docs/architecture.md
("Ajouter un pilier")."""

from __future__ import annotations

import io
import sys
from html import unescape
from pathlib import Path

import pytest
from typer.testing import CliRunner

from terrinum import pillars

FOLDER = Path(__file__).parent / "piliers_essai"


@pytest.fixture
def fixture_pillar(settings, monkeypatch):
    """The pillars' path gains the test folder; discovery finds `essai` there."""
    monkeypatch.setattr(pillars, "__path__", [*pillars.__path__, str(FOLDER)])
    monkeypatch.setattr(pillars, "_discovered", False)
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], FOLDER]}]
    pillars.discover()
    yield pillars.get("essai")
    pillars.unregister("essai")
    for name in [m for m in sys.modules if m.startswith("terrinum.pillars.essai")]:
        del sys.modules[name]


def test_it_is_discovered_not_registered(fixture_pillar):
    assert sys.modules["terrinum.pillars.essai"].PILLAR is fixture_pillar
    assert [p.key for p in pillars.all_pillars()][-1] == "essai"  # order 99


def test_a_published_table_must_carry_what_every_page_reads():
    """/donnees/ and the report read `demo` and `source` of every published table: a pillar
    publishing a table without them is refused when it is declared, not with an HTTP 500."""
    from terrinum.pillars import Indicators, Pillar

    incomplete = Pillar("incomplet", "Incomplet", 98, indicators=Indicators("incomplet", ("code", "niveau", "valeur"), lambda *a: [], "aide", "vide"))
    with pytest.raises(ValueError, match="demo, nom, source"):
        pillars.register(incomplete)
    assert "incomplet" not in [p.key for p in pillars.all_pillars()]


def test_the_cli_lists_its_source_kind_and_its_table(fixture_pillar):
    from terrinum.cli import build_app

    app = build_app()
    help_text = CliRunner().invoke(app, ["ingest", "--help"], terminal_width=200).output
    assert "essai-valeurs : valeurs d'essai par commune (CSV)" in help_text
    assert "essai" in CliRunner().invoke(app, ["indicateurs", "--help"], terminal_width=200).output


def test_the_api_schema_and_the_dictionary_have_it(fixture_pillar):
    from terrinum.diagnostic import dictionnaire
    from terrinum.web.api import build_api

    schema = build_api("essai-api").get_openapi_schema(path_prefix="/api/v1/")
    assert "/api/v1/essai/{niveau}" in schema["paths"]
    assert [r["colonne"] for r in dictionnaire.rows("essai")] == list(fixture_pillar.indicators.columns)


@pytest.fixture
def data_dir(tmp_path, reference_build, monkeypatch):
    """The reference and the fragility pillar's demonstration values (they describe the
    territories, from which the peers are computed), as `terrinum init` leaves them."""
    from terrinum.pillars import publication
    from terrinum.warehouse import store

    root = tmp_path / "data"
    with publication.next_version(root / "warehouse.duckdb") as con:
        store.publish_reference_build(con, reference_build, "test")
        pillars.get("fragilite").demo(con)
    monkeypatch.setenv("TERRINUM_DATA_DIR", str(root))
    return root


@pytest.mark.django_db
def test_import_pages_report_and_caches_use_it(fixture_pillar, data_dir, tmp_path, client):
    import pypdf

    from terrinum.diagnostic import document, rendering
    from terrinum.pillars.ingest import ingest_path
    from terrinum.territories import services
    from terrinum.territories.models import Territory

    gueret = services.get("commune", "23096")
    before = client.get("/territoires/departement/23/").content.decode()  # kept for visitors
    assert 'id="pilier-essai"' not in before
    assert document.compose(gueret)["piliers"]["Pilier d'essai"] == "absent"

    # every commune of France a value (its peers too), Guéret one under the rule's threshold
    codes = Territory.objects.filter(niveau="commune").values_list("code", flat=True)
    path = tmp_path / "essai.csv"
    path.write_text("code;valeur\n" + "".join(f"{c};{2.5 if c == '23096' else 3 + int(c[-2:]) % 7}\n" for c in codes))
    loaded = ingest_path("essai-valeurs", path)
    assert loaded.chargees == len(codes) and not ingest_path("essai-valeurs", path).chargees  # idempotent

    html = client.get("/territoires/departement/23/").content.decode()  # a new version: not the kept page
    assert 'id="pilier-essai"' in html
    table = html[html.index('id="comparaison"') :]
    assert ">Essai</a></th>" in table and ">Guéret</a></th>" in table and ">2,5</td>" in table  # its comparison column
    donnees = client.get("/donnees/")
    assert donnees.status_code == 200 and 'href="/donnees/essai-commune.csv"' in donnees.content.decode()
    export = client.get("/donnees/essai-commune.csv")
    assert export.status_code == 200 and b"23096" in b"".join(export.streaming_content)

    data = document.compose(gueret)
    assert data["piliers"]["Pilier d'essai"] == "reel"
    assert data["chiffres"]["essai"]["valeur_essai"] == 2.5
    assert any(f["cle"] == "valeur_essai" and f["valeur"] == 2.5 for f in data["pairs"]["chiffres"])  # among its peers
    assert "essai-faible" in [p["regle"] for p in data["priorites"]]
    assert {"regle": "essai-faible", "titre": "Valeur d'essai", "seuil": "au moins 3 unités", "resultat": "déclenchée"} in data["regles"]
    assert client.get("/api/v1/territoires/commune/23096/diagnostic").json()["piliers"]["Pilier d'essai"] == "reel"

    page = unescape(client.get("/territoires/commune/23096/diagnostic/").content.decode())
    assert 'id="pilier-essai"' in page and "Valeur d'essai faible" in page
    reader = pypdf.PdfReader(io.BytesIO(rendering.pdf(gueret)))
    text = " ".join(p.extract_text() for p in reader.pages)
    assert "Pilier d'essai" in text and "Valeur d'essai faible" in text
