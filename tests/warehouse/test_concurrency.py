"""Readers never block writers and never see half an import; writers are serialised
(store.writer: a new version of the warehouse, published by an atomic rename)."""

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from terrinum.pillars.connectivite_fixe import indicators as cf
from terrinum.pillars.ingest import ingest
from terrinum.warehouse import store

HEADER = "code_insee;nom_com;code_dep;code_reg;nbr;type;inel_hd;elig_hd05;elig_hd3;elig_bhd8;elig_thd30;elig_thd100;elig_thd1g;date\n"


def _mci(path: Path, premises: int) -> Path:
    path.write_text(HEADER + f"23096;Guéret;23;75;{premises};all;0;{premises};{premises};{premises};90;80;50;2024-12-31\n", encoding="utf-8")
    return path


def test_an_import_completes_while_readers_read_and_none_sees_half_of_it(fresh_data_dir, tmp_path):
    path = fresh_data_dir / "warehouse.duckdb"
    with store.writer(path) as con:
        ingest(con, "arcep-mci-communes", _mci(tmp_path / "a.csv", 100))
    errors, seen, stop = [], set(), threading.Event()

    def read():
        while not stop.is_set():
            try:
                with store.reader(path) as con:
                    rows = cf.indicator_rows(con, "commune", millesime="2024T4")
                    loaded = con.execute("SELECT count(*) FROM provenance WHERE source = 'arcep-mci-communes'").fetchone()[0]
                    seen.add((loaded, next(r["locaux"] for r in rows if r["code"] == "23096")))
            except Exception as exc:  # noqa: BLE001 - any reader error fails the test
                errors.append(repr(exc))

    readers = [threading.Thread(target=read) for _ in range(8)]
    for t in readers:
        t.start()
    try:
        for premises in (200, 300):
            with store.writer(path) as con:
                ingest(con, "arcep-mci-communes", _mci(tmp_path / f"{premises}.csv", premises))
    finally:
        stop.set()
        for t in readers:
            t.join()
    assert not errors, errors[:3]
    # every version a reader saw is a whole one: (files loaded, Guéret's premises) as published
    assert seen <= {(1, 100), (2, 200), (3, 300)}, seen
    with store.reader(path) as con:
        assert next(r["locaux"] for r in cf.indicator_rows(con, "commune", millesime="2024T4") if r["code"] == "23096") == 300
    assert not list(fresh_data_dir.glob("*.brouillon*"))


def test_a_failed_import_leaves_the_current_version_untouched(fresh_data_dir, tmp_path):
    path = fresh_data_dir / "warehouse.duckdb"
    before = path.read_bytes()
    with pytest.raises(RuntimeError), store.writer(path) as con:
        ingest(con, "arcep-mci-communes", _mci(tmp_path / "a.csv", 100))
        raise RuntimeError("panne au milieu")
    assert path.read_bytes() == before and not list(fresh_data_dir.glob("*.brouillon*"))


def test_a_second_import_waits_for_the_first_and_says_so(fresh_data_dir, tmp_path):
    """Two imports at once: serialised. The test holds the writers' lock (as an import
    would) while `terrinum ingest` starts; it waits, says so, then completes."""
    env = {**os.environ, "TERRINUM_DATA_DIR": str(fresh_data_dir)}
    with store.writers_paused(fresh_data_dir / "warehouse.duckdb"):
        second = subprocess.Popen(
            [sys.executable, "-m", "terrinum.cli", "ingest", "arcep-mci-communes", str(_mci(tmp_path / "b.csv", 250))],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        waiting = second.stderr.readline()
        assert "Un autre import est en cours" in waiting, waiting
        assert second.poll() is None  # still waiting
    out, err = second.communicate(timeout=120)
    assert second.returncode == 0, err
    with store.reader(fresh_data_dir / "warehouse.duckdb") as con:
        assert con.execute("SELECT count(*) FROM provenance WHERE source = 'arcep-mci-communes'").fetchone()[0] == 1
