"""A pillar is a declared unit: a small pillar registered here, and nowhere else, is found by
`terrinum ingest` (and its help), `terrinum indicateurs`, the API schema, the data
dictionary, the territory page and the report. This is the walkthrough of
docs/architecture.md ("Ajouter un pilier"), step by step."""

from __future__ import annotations

import pytest
from ninja import Router
from typer.testing import CliRunner

from terrinum import pillars
from terrinum.pillars import Column, Indicators, Pillar, Section, SourceKind
from terrinum.sources.common import Parsed, Problem, departement_of, read_text
from terrinum.territories.helpers import TerritorySet
from terrinum.warehouse import store
from terrinum.warehouse.rollup import declare, rollup, sum_of, within_codes
from terrinum.warehouse.store import TableSpec

# 1. The canonical table (commune level).
TABLE = TableSpec(
    "essai_valeurs",
    """CREATE TABLE IF NOT EXISTS essai_valeurs (
        source VARCHAR NOT NULL, millesime VARCHAR NOT NULL, code_source VARCHAR NOT NULL,
        code_commune VARCHAR, code_departement VARCHAR NOT NULL, valeur DOUBLE NOT NULL, demo BOOLEAN NOT NULL)""",
    ("valeur",),
)


# 2. The parser (in a real pillar: sources/<format>.py): parse and validate only.
def parse(path, millesime=None) -> Parsed:
    text, _ = read_text(path)
    parsed = Parsed(millesime=millesime or "2025")
    for line, raw in enumerate(text.splitlines()[1:], start=2):
        parsed.read += 1
        code, _, value = raw.partition(";")
        try:
            parsed.rows.append({"ligne": line, "code_source": code, "code_departement": departement_of(code), "valeur": float(value)})
        except ValueError:
            parsed.rejected.append(Problem(path.name, line, "valeur", f"« {value} » n'est pas un nombre"))
    return parsed


# 3. The indicators and their dictionary.
COLUMNS = ("code", "niveau", "millesime", "valeur_essai")
declare("essai", (("valeur_essai", "Valeur d'essai", "unités", "somme des communes"),))


def rows(con, niveau, within, **_):
    if not store.tables_exist(con, [TABLE]):
        return []
    rel = rollup(con, TABLE.name, niveau, [sum_of("valeur", "valeur_essai")], group_by=["millesime"], codes=within_codes(con, niveau, within))
    return [dict(zip(rel.columns, r)) for r in rel.fetchall()]


# 4. The section of the territory page and report.
def compose(ctx):
    if ctx.con is None:
        return None
    scope = TerritorySet.of(ctx.territory.niveau, ctx.territory.code)
    mine = [r for r in rows(ctx.con, ctx.territory.niveau, scope) if r["code"] == ctx.territory.code]
    children = {r["code"]: r for r in rows(ctx.con, "commune", scope)}
    return {"total": mine[0]["valeur_essai"], "par_code": children} if mine else None


# 5. The API routes.
def router() -> Router:
    r = Router(tags=["essai"])

    @r.get("/essai/{niveau}")
    def essai(request, niveau: str):
        return []

    return r


FIXTURE = Pillar(
    key="essai",
    title="Pilier d'essai",
    order=99,
    tables=(TABLE,),
    sources=(SourceKind("essai-valeurs", "valeurs d'essai par commune (CSV)", parse, (TABLE,)),),
    indicators=Indicators("essai", COLUMNS, rows, "Pilier d'essai : une valeur par commune.", "aucune valeur d'essai."),
    section=Section(
        "essai",
        "Pilier d'essai",
        compose,
        "essai_section.html",
        comparison=(Column("valeur_essai", "Essai", lambda d, c: (d["par_code"].get(c) or {}).get("valeur_essai")),),
    ),
    api=router,
)


@pytest.fixture
def fixture_pillar(settings, tmp_path):
    """6. Registration: the one line a pillar folder's __init__.py holds."""
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "essai_section.html").write_text('<section id="pilier-essai"><h2>Pilier d\'essai</h2><p>Total : {{ s.total }}</p></section>')
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], templates]}]
    pillars.register(FIXTURE)
    yield FIXTURE
    pillars.unregister(FIXTURE.key)


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
    assert [r["colonne"] for r in dictionnaire.rows("essai")] == list(COLUMNS)


@pytest.mark.django_db
def test_ingest_page_and_report_use_it(fixture_pillar, warehouse, tmp_path, client, monkeypatch):
    from terrinum.diagnostic import report
    from terrinum.pillars.ingest import ingest
    from terrinum.territories import services

    path = tmp_path / "essai.csv"
    path.write_text("code;valeur\n23096;2.5\n23001;1.5\n08419;4\n")
    loaded = ingest(warehouse, "essai-valeurs", path)
    assert loaded.chargees == 3 and not ingest(warehouse, "essai-valeurs", path).chargees  # idempotent
    warehouse.close()
    monkeypatch.setenv("TERRINUM_DATA_DIR", str(tmp_path))

    creuse = services.get("departement", "23")
    composed = report.compose(creuse, list(services.children(creuse)), lambda t: "metro", lambda t: "#")
    essai = next(s for s in composed if s.key == "essai")
    assert essai.data["total"] == 4.0
    html = client.get("/territoires/departement/23/").content.decode()
    assert 'id="pilier-essai"' in html and "Total : 4,0" in html  # French number format
    table = html[html.index('id="comparaison"') :]
    assert ">Essai</a></th>" in table and ">Guéret</a></th>" in table and ">2,5</td>" in table  # its comparison column
