"""Canonical warehouse tables of the mobile-connectivity pillar (commune level), and the
derived table of exact operator combinations (a transform of this pillar)."""

from terrinum.warehouse.store import TableSpec

SITES = TableSpec(
    "cm_sites",
    """CREATE TABLE IF NOT EXISTS cm_sites (
        source VARCHAR NOT NULL, millesime VARCHAR NOT NULL, code_source VARCHAR NOT NULL,
        code_commune VARCHAR, code_departement VARCHAR NOT NULL, operateur VARCHAR NOT NULL,
        site_2g INTEGER NOT NULL, site_3g INTEGER NOT NULL, site_4g INTEGER NOT NULL,
        longitude DOUBLE, latitude DOUBLE, demo BOOLEAN NOT NULL)""",
    ("operateur", "site_2g", "site_3g", "site_4g", "longitude", "latitude"),
)
COVERAGE = TableSpec(
    "cm_couverture",
    """CREATE TABLE IF NOT EXISTS cm_couverture (
        source VARCHAR NOT NULL, millesime VARCHAR NOT NULL, code_source VARCHAR NOT NULL,
        code_commune VARCHAR, code_departement VARCHAR NOT NULL, operateur VARCHAR NOT NULL,
        techno VARCHAR NOT NULL, part_surface_nc DOUBLE, part_surface_cl DOUBLE, part_surface_bc DOUBLE,
        part_surface_tbc DOUBLE, part_pop_nc DOUBLE, part_pop_cl DOUBLE, part_pop_bc DOUBLE,
        part_pop_tbc DOUBLE, demo BOOLEAN NOT NULL)""",
    ("operateur", "techno", "part_surface_nc", "part_surface_cl", "part_surface_bc", "part_surface_tbc",
     "part_pop_nc", "part_pop_cl", "part_pop_bc", "part_pop_tbc"),
    replace_keys=("operateur", "techno"),
)  # fmt: skip
COVERAGE_ZONES = TableSpec(
    "cm_couverture_geom",
    """CREATE TABLE IF NOT EXISTS cm_couverture_geom (
        source VARCHAR NOT NULL, millesime VARCHAR NOT NULL, code_source VARCHAR NOT NULL,
        code_commune VARCHAR, code_departement VARCHAR NOT NULL, operateur VARCHAR NOT NULL,
        techno VARCHAR NOT NULL, crs VARCHAR NOT NULL, zone_bonne BLOB, zone_couverte BLOB, demo BOOLEAN NOT NULL)""",
    ("operateur", "techno", "crs", "zone_bonne", "zone_couverte"),
    replace_keys=("operateur", "techno"),
)
COMBINATIONS = TableSpec(
    "cm_combinaison",
    """CREATE TABLE IF NOT EXISTS cm_combinaison (
        millesime VARCHAR NOT NULL, techno VARCHAR NOT NULL, code_commune VARCHAR NOT NULL,
        code_departement VARCHAR NOT NULL, operateurs VARCHAR NOT NULL, n_operateurs INTEGER NOT NULL,
        part_bonne_au_moins_un DOUBLE NOT NULL, part_bonne_tous DOUBLE NOT NULL, part_aucune DOUBLE NOT NULL)""",
)
NEW_DEAL = TableSpec(
    "cm_newdeal",
    """CREATE TABLE IF NOT EXISTS cm_newdeal (
        source VARCHAR NOT NULL, millesime VARCHAR NOT NULL, code_source VARCHAR NOT NULL,
        code_commune VARCHAR, code_departement VARCHAR NOT NULL, num_arrete VARCHAR NOT NULL,
        date_publication DATE NOT NULL, echeance DATE NOT NULL, operateurs VARCHAR NOT NULL,
        origine_zone VARCHAR, date_mise_en_service DATE, en_service BOOLEAN NOT NULL, demo BOOLEAN NOT NULL)""",
    ("num_arrete", "date_publication", "echeance", "operateurs", "origine_zone", "date_mise_en_service", "en_service"),
)
# The tables whose demonstration values a real file of the pillar replaces (all of them but
# the derived combinations, which have none) and whose presence the indicators need.
TABLES = (SITES, COVERAGE, NEW_DEAL)
ALL_TABLES = (SITES, COVERAGE, COVERAGE_ZONES, COMBINATIONS, NEW_DEAL)
