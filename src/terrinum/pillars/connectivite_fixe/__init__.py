"""Connectivité fixe: Plan France Très Haut Débit (speed classes, FttH per quarter, targets,
projections). Method: methodologie/methodologie-connectivite-fixe.md."""

from terrinum.pillars import Column, Indicators, Pillar, Section, SourceKind, commune_source, lazy, register, vintage_option
from terrinum.pillars.connectivite_fixe import demo, indicators, section
from terrinum.pillars.connectivite_fixe.tables import DEBITS, FTTH, INFORMATIONS, TABLES
from terrinum.pillars.findings import Headline
from terrinum.pillars.technologies.tables import TECHNOLOGIES
from terrinum.sources import arcep_batiments, arcep_ftth, arcep_mci

PILLAR = register(
    Pillar(
        key=indicators.PILIER,
        title="Connectivité fixe",
        order=10,
        tables=TABLES,
        sources=(
            commune_source("arcep-mci-communes", "débits par commune de « Ma connexion internet » (CSV)", arcep_mci.parse, (DEBITS,), per_vintage=True),
            commune_source(
                "arcep-ftth-communes", "déploiement FttH par commune et par trimestre (CSV ou XLSX)", arcep_ftth.parse_deployment, (FTTH,), per_vintage=True
            ),
            commune_source(
                "arcep-ftth-informations", "informations FttH par commune : zones, logements (CSV ou XLSX)", arcep_ftth.parse_information, (INFORMATIONS,)
            ),
            SourceKind(
                "arcep-mci-batiments",
                "éligibilité par immeuble (dossier des base_imb_<DEP>.csv.gz et eligibilite/<trimestre>/)",
                arcep_batiments.aggregate,
                (DEBITS, FTTH, TECHNOLOGIES),  # the technology mix (pillar « technologies ») in the same pass
                folder=True,
                key=None,  # rows are sums per commune, computed by the parser
                partitioned=True,  # per département, embedded or on Dask (docs/echelle-nationale.md)
                staged=True,
            ),
        ),
        indicators=Indicators(
            table=indicators.PILIER,
            columns=tuple(indicators.COLUMNS),
            rows=lambda con, niveau, within, millesime=None: indicators.indicator_rows(con, niveau, within=within, millesime=millesime),
            help="Connectivité fixe (Plan France Très Haut Débit) : locaux par débit, fibre, objectifs, projections.",
            empty="aucune donnée de connectivité fixe pour cette demande : importez un fichier (terrinum ingest) ou lancez terrinum demo.",
            options=(vintage_option(),),
            title="Connectivité fixe",
        ),
        demo=demo.generate,
        demo_label="connectivité fixe",
        section=Section(
            "cf",
            "Connectivité fixe",
            section.compose,
            "connectivite_fixe/section.html",
            comparison=(
                Column("part_30mbits", "≥ 30 Mbit/s (%)", section.latest_speed),
                Column("part_ftth", "Fibre (%)", section.latest_ftth),
            ),
        ),
        api=lazy("terrinum.pillars.connectivite_fixe.api:router"),
        headlines=(
            Headline("part_30mbits", "Locaux à 30 Mbit/s ou plus", "connectivite-fixe", "part_30mbits", "%", True),
            Headline("part_ftth", "Locaux raccordables à la fibre", "connectivite-fixe", "part_ftth", "%", True),
        ),
        facts=lazy("terrinum.pillars.connectivite_fixe.findings:facts"),
        rules=lazy("terrinum.pillars.connectivite_fixe.findings:rules"),
        state=lazy("terrinum.pillars.connectivite_fixe.findings:state"),
    )
)
