"""A warehouse written by an earlier version gains the columns a newer version declares:
`CREATE TABLE IF NOT EXISTS` alone left the old table as it was, and the first insert of the
new column failed on every existing installation."""

import duckdb

from terrinum.pillars import all_pillars
from terrinum.warehouse import store


def test_an_existing_table_gains_a_declared_column_and_keeps_its_rows(tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    before = store.TableSpec("essai_debits", "CREATE TABLE IF NOT EXISTS essai_debits (code_commune VARCHAR NOT NULL, locaux BIGINT NOT NULL)")
    store.ensure_tables(con, [before])
    con.execute("INSERT INTO essai_debits VALUES ('23096', 8453)")
    after = store.TableSpec(
        "essai_debits",
        "CREATE TABLE IF NOT EXISTS essai_debits (code_commune VARCHAR NOT NULL, locaux BIGINT NOT NULL, locaux_ftth BIGINT, zone VARCHAR NOT NULL)",
    )
    assert store.missing_columns(con, after) == [("locaux_ftth", "BIGINT"), ("zone", "VARCHAR")]
    store.ensure_tables(con, [after])
    assert store.missing_columns(con, after) == []
    assert con.execute("SELECT * FROM essai_debits").fetchall() == [("23096", 8453, None, None)]
    con.execute("INSERT INTO essai_debits VALUES ('08419', 412, 300, 'RIP')")
    store.ensure_tables(con, [after])  # again: nothing to do
    assert con.execute("SELECT count(*) FROM essai_debits").fetchone()[0] == 2
    assert not con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name LIKE '_declaration_%'").fetchone()[0]


def test_every_declared_table_of_every_pillar_is_understood(tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    specs = [spec for pillar in all_pillars() for spec in pillar.tables]
    assert len(specs) >= 8
    store.ensure_tables(con, specs)
    assert all(store.missing_columns(con, spec) == [] for spec in specs)
