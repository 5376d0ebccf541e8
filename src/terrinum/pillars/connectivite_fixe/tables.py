"""Canonical warehouse tables of the fixed-connectivity pillar (commune level)."""

from terrinum.warehouse.store import TableSpec

DEBITS = TableSpec(
    "cf_debits",
    """CREATE TABLE IF NOT EXISTS cf_debits (
        source VARCHAR NOT NULL, millesime VARCHAR NOT NULL, code_source VARCHAR NOT NULL,
        code_commune VARCHAR, code_departement VARCHAR NOT NULL, locaux BIGINT NOT NULL,
        locaux_8mbits BIGINT NOT NULL, locaux_30mbits BIGINT NOT NULL, locaux_100mbits BIGINT NOT NULL,
        locaux_1gbits BIGINT NOT NULL, demo BOOLEAN NOT NULL)""",
    ("locaux", "locaux_8mbits", "locaux_30mbits", "locaux_100mbits", "locaux_1gbits"),
)
FTTH = TableSpec(
    "cf_ftth",
    """CREATE TABLE IF NOT EXISTS cf_ftth (
        source VARCHAR NOT NULL, millesime VARCHAR NOT NULL, code_source VARCHAR NOT NULL,
        code_commune VARCHAR, code_departement VARCHAR NOT NULL,
        locaux_ftth_raccordables BIGINT NOT NULL, categorie INTEGER, demo BOOLEAN NOT NULL)""",
    ("locaux_ftth_raccordables", "categorie"),
)
INFORMATIONS = TableSpec(
    "cf_informations",
    """CREATE TABLE IF NOT EXISTS cf_informations (
        source VARCHAR NOT NULL, millesime VARCHAR NOT NULL, code_source VARCHAR NOT NULL,
        code_commune VARCHAR, code_departement VARCHAR NOT NULL, logements BIGINT NOT NULL,
        etablissements BIGINT NOT NULL, zone VARCHAR NOT NULL, operateur_amii VARCHAR,
        rurale BOOLEAN, montagne BOOLEAN, demo BOOLEAN NOT NULL)""",
    ("logements", "etablissements", "zone", "operateur_amii", "rurale", "montagne"),
)
TABLES = (DEBITS, FTTH, INFORMATIONS)
