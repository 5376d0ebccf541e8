"""A pillar used by the tests only: one folder, discovered like the packaged pillars when its
parent folder is on the pillars' path (tests/pillars/test_registry.py), and found everywhere
a pillar appears. It follows docs/architecture.md, "Ajouter un pilier", step by step."""

from ninja import Router

from terrinum.pillars import Column, Indicators, Pillar, Section, SourceKind, lazy, register
from terrinum.pillars.findings import Headline
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


# 3. The indicators and their dictionary (a published table carries code, nom, niveau, demo, source).
COLUMNS = ("code", "nom", "niveau", "millesime", "source", "demo", "valeur_essai")
declare("essai", (("valeur_essai", "Valeur d'essai", "unités", "somme des communes"),))


def rows(con, niveau, within, **_):
    if not store.tables_exist(con, [TABLE]):
        return []
    rel = rollup(con, TABLE.name, niveau, [sum_of("valeur", "valeur_essai")], group_by=["millesime", "source", "demo"], codes=within_codes(con, niveau, within))
    found = [dict(zip(rel.columns, r)) for r in rel.fetchall()]
    names = store.territory_names(con, niveau, [r["code"] for r in found])
    return [{**r, "nom": names.get(r["code"], r["code"])} for r in found]


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


# 6. Registration: its part of the diagnostic is in findings.py (facts, rules, state).
PILLAR = register(
    Pillar(
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
            "essai/section.html",
            comparison=(Column("valeur_essai", "Essai", lambda d, c: (d["par_code"].get(c) or {}).get("valeur_essai")),),
        ),
        api=router,
        headlines=(Headline("valeur_essai", "Valeur d'essai", "essai", "valeur_essai", "unités", True),),
        facts=lazy("terrinum.pillars.essai.findings:facts"),
        rules=lazy("terrinum.pillars.essai.findings:rules"),
        state=lazy("terrinum.pillars.essai.findings:state"),
    )
)
