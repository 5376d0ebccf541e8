"""Technologies d'accès: by which technology each territory is served, which premises are
left below 8 and 30 Mbit/s by wire and what they can use instead, and the scope of the
« Cohésion numérique des territoires » scheme. Its table is filled by the per-building import
of the fixed-connectivity pillar, in the same pass. Method: methodologie/methodologie-technologies.md."""

from terrinum.pillars import Column, Indicators, Pillar, Section, lazy, register, vintage_option
from terrinum.pillars.technologies import demo, indicators, section
from terrinum.pillars.technologies.tables import TABLES

PILLAR = register(
    Pillar(
        key=indicators.PILIER,
        title="Technologies d'accès",
        order=12,
        tables=TABLES,
        indicators=Indicators(
            table=indicators.PILIER,
            columns=tuple(indicators.COLUMNS),
            rows=lambda con, niveau, within, millesime=None: indicators.indicator_rows(con, niveau, within=within, millesime=millesime),
            help="Technologies d'accès : locaux par meilleure technologie filaire, solutions sans fil, locaux sous 8 et 30 Mbit/s en filaire.",
            empty="aucune donnée de technologies pour cette demande : importez les fichiers par immeuble (terrinum ingest arcep-mci-batiments) ou lancez terrinum demo.",
            options=(vintage_option(),),
            title="Technologies d'accès",
        ),
        demo=demo.generate,
        demo_label="technologies d'accès",
        section=Section(
            "tc",
            "Technologies d'accès",
            section.compose,
            "technologies/section.html",
            comparison=(Column("part_filaire_inf8", "< 8 Mbit/s filaire (%)", section.below_8),),
        ),
        api=lazy("terrinum.pillars.technologies.api:router"),
    )
)
