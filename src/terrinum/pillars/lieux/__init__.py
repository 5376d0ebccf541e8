"""Lieux d'inclusion: the registry of "lieux de médiation numérique" (operational app
`apps.inclusion`) seen as a pillar: its imports, its accessibility indicator and its section.
Method: methodologie/methodologie-lieux.md.

Its modules read Django models, so they are imported when first used (the CLI lists the
pillars before Django is set up)."""

from terrinum.pillars import Indicators, Option, Pillar, Section, SourceKind, lazy, register
from terrinum.sources import lieux
from terrinum.warehouse.rollup import declare

THRESHOLDS_KM = (5, 10, 20)
DEFAULT_DETOUR = 1.0
METHOD = "distance à vol d'oiseau (projection Lambert-93, UTM outre-mer) depuis les immeubles (pondérés par leurs locaux) quand un import par immeuble les a laissés, sinon depuis un point représentatif de chaque commune"
PILIER = "accessibilite"  # the published table (data dictionary)
COLUMNS = (
    "code", "nom", "niveau", "service", "source", "demo", "population", "nb_lieux", "distance_moyenne_km",
    *(f"{kind}_au_dela_{km}km" for km in THRESHOLDS_KM for kind in ("pop", "part")),
)  # fmt: skip
declare(PILIER, (
    ("service", "Service pris en compte", None, "libellé du standard des lieux (--service), ou « tous » : tout lieu du registre"),
    ("nb_lieux", "Lieux du registre dans le territoire", "lieux", "somme des communes (lieux rattachés à une commune)"),
    ("distance_moyenne_km", "Distance moyenne au lieu le plus proche", "km", f"{METHOD} ; moyenne pondérée par la population, lieux de tous les territoires"),
    *((f"pop_au_dela_{km}km", f"Habitants à plus de {km} km du lieu le plus proche", "habitants", "somme des communes (population répartie sur les immeubles quand leurs positions sont connues)") for km in THRESHOLDS_KM),
    *((f"part_au_dela_{km}km", f"Part des habitants à plus de {km} km du lieu le plus proche", "%", f"100 × pop_au_dela_{km}km / population") for km in THRESHOLDS_KM),
))  # fmt: skip


def _load(default_source):
    """Places go to the relational registry (the inclusion app), not to the warehouse."""

    def load(parsed, path, accept_rejects: bool):
        from terrinum.apps.inclusion import services

        return services.import_parsed(parsed, path.name, default_source or path.name, accept_rejects=accept_rejects)

    return load


PILLAR = register(
    Pillar(
        key="lieux",
        title="Lieux d'accompagnement",
        order=40,
        sources=(
            SourceKind("lieux-mediation", "lieux de médiation numérique au standard national (CSV ou JSON)", lieux.parse_standard, load=_load(None), key=None),
            SourceKind(
                "lieux-bibliotheques",
                "bibliothèques publiques (CSV du ministère de la Culture)",
                lieux.parse_libraries,
                load=_load(lieux.LIBRARY_SOURCE),
                key=None,
            ),
        ),
        indicators=Indicators(
            table=PILIER,
            columns=COLUMNS,
            rows=lazy("terrinum.pillars.lieux.indicators:table_rows"),
            help="Accessibilité des lieux d'accompagnement : distance moyenne, habitants au-delà de 5 / 10 / 20 km.",
            empty="aucun lieu pour cette demande.",
            options=(
                Option("service", "Ne compter que les lieux offrant ce service (libellé du standard)."),
                Option("detour", "Facteur de détour routier appliqué aux distances à vol d'oiseau (1 = vol d'oiseau).", default=1.0, type=float),
            ),
            title="Accessibilité des lieux d'accompagnement",
            reads_warehouse=False,
        ),
        section=Section("li", "Lieux d'accompagnement", lazy("terrinum.pillars.lieux.section:compose"), "lieux/section.html", warehouse_only=False),
        stamp=lazy("terrinum.pillars.lieux.section:stamp"),
        facts=lazy("terrinum.pillars.lieux.findings:facts"),
        rules=lazy("terrinum.pillars.lieux.findings:rules"),
        state=lazy("terrinum.pillars.lieux.findings:state"),
    )
)
