"""Fragilité numérique: an open illectronisme-risk index per territory, on five criteria (1–10 scale).
Method: methodologie/methodologie-fragilite.md."""

from terrinum.pillars import Column, Indicators, Option, Pillar, Section, commune_source, lazy, register
from terrinum.pillars.findings import Headline
from terrinum.pillars.fragilite import demo, indicators, section
from terrinum.pillars.fragilite.tables import TABLES, VALUES
from terrinum.sources import insee

PILLAR = register(
    Pillar(
        key=indicators.PILIER,
        title="Fragilité numérique",
        order=30,
        tables=TABLES,
        sources=(commune_source("insee-indicateurs", "taux INSEE par commune : recensement, pauvreté, populations (CSV)", insee.parse, (VALUES,)),),
        indicators=Indicators(
            table=indicators.PILIER,
            columns=tuple(indicators.COLUMNS),
            rows=lambda con, niveau, within, reference="pays": indicators.indicator_rows(con, niveau, within=within, reference=reference),
            help="Fragilité numérique : indice de 1 à 10 sur cinq critères, écart au territoire de comparaison, couverture des données, personnes à risque.",
            empty="aucune donnée de fragilité : importez les indicateurs INSEE (terrinum ingest insee-indicateurs) ou lancez terrinum demo.",
            options=(Option("reference", "Territoire de comparaison (écart à son indice) : pays, region:CODE, departement:CODE, epci:CODE.", default="pays"),),
            title="Fragilité numérique",
        ),
        demo=demo.generate,
        demo_label="fragilité numérique (entrées INSEE)",
        section=Section(
            "fr",
            "Fragilité numérique",
            section.compose,
            "fragilite/section.html",
            comparison=(Column("indice_fragilite", "Fragilité numérique (sur 10)", section.global_index, decimals=1),),
        ),
        api=lazy("terrinum.pillars.fragilite.api:router"),
        headlines=(Headline("indice_fragilite", "Indice de fragilité numérique", "fragilite", "indice_global", "sur 10", False),),
        facts=lazy("terrinum.pillars.fragilite.findings:facts"),
        rules=lazy("terrinum.pillars.fragilite.findings:rules"),
        state=lazy("terrinum.pillars.fragilite.findings:state"),
    )
)
