"""Connectivité mobile: New Deal Mobile (sites per technology, 4G coverage per operator,
zones blanches, targeted-coverage sites). Method: methodologie/methodologie-connectivite-mobile.md."""

from terrinum.pillars import Column, Indicators, Option, Pillar, Section, SourceKind, lazy, register
from terrinum.pillars.connectivite_mobile import demo, indicators, section, transforms
from terrinum.pillars.connectivite_mobile.tables import COVERAGE, COVERAGE_ZONES, NEW_DEAL, SITES, TABLES
from terrinum.pillars.findings import Headline
from terrinum.sources import arcep_couverture, arcep_mobile

PILLAR = register(
    Pillar(
        key=indicators.PILIER,
        title="Connectivité mobile",
        order=20,
        tables=TABLES,
        sources=(
            SourceKind("arcep-mobile-sites", "sites mobiles par opérateur (CSV, métropole ou outre-mer)", arcep_mobile.parse_sites, (SITES,), key=None),
            SourceKind(
                "arcep-mobile-communes",
                "couverture par commune et par opérateur (CSV)",
                arcep_mobile.parse_communes,
                (COVERAGE,),
                key=("code_source", "operateur", "techno"),
            ),
            SourceKind(
                "arcep-mobile-couverture",
                "polygones de couverture d'un opérateur (GeoPackage)",
                arcep_couverture.parse_coverage,
                (COVERAGE, COVERAGE_ZONES),
                options=transforms.coverage_options,
                transform=transforms.after_coverage,
                key=None,  # one row per commune, computed by the overlay
                partitioned=True,  # the buildings × zones join, per département (docs/echelle-nationale.md)
            ),
            SourceKind("arcep-newdeal-sites", "sites du dispositif de couverture ciblée du New Deal (CSV)", arcep_mobile.parse_new_deal, (NEW_DEAL,)),
        ),
        indicators=Indicators(
            table=indicators.PILIER,
            columns=tuple(indicators.COLUMNS),
            rows=lambda con, niveau, within, operateur=None: indicators.indicator_rows(con, niveau, within=within, operateur=operateur),
            help="Connectivité mobile : sites par technologie, couverture 4G par opérateur (bornes pour « au moins un » et « tous »).",
            empty="aucune donnée de connectivité mobile : importez un fichier (terrinum ingest arcep-mobile-sites ou arcep-mobile-communes) ou lancez terrinum demo.",
            options=(Option("operateur", "Un opérateur de métropole ; sans lui, tous.", choices=("OF", "SFR0", "BOUY", "FREE")),),
            title="Connectivité mobile",
        ),
        demo=demo.generate,
        demo_label="connectivité mobile",
        section=Section(
            "cm",
            "Connectivité mobile",
            section.compose,
            "connectivite_mobile/section.html",
            comparison=(Column("part_4g", "Bonne 4G, meilleur opérateur (%)", section.best_operator_4g),),
        ),
        api=lazy("terrinum.pillars.connectivite_mobile.api:router"),
        headlines=(
            # exact when coverage polygons are loaded, else the lower bound (best operator)
            Headline(
                "part_4g",
                "Population en bonne 4G d'au moins un opérateur",
                "connectivite-mobile",
                "coalesce(TRY_CAST(part_pop_4g_bonne_au_moins_un AS DOUBLE), TRY_CAST(part_pop_4g_bonne_au_moins_un_min AS DOUBLE))",
                "%",
                True,
            ),
        ),
        facts=lazy("terrinum.pillars.connectivite_mobile.findings:facts"),
        rules=lazy("terrinum.pillars.connectivite_mobile.findings:rules"),
        state=lazy("terrinum.pillars.connectivite_mobile.findings:state"),
    )
)
