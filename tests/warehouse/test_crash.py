"""Crash consistency: an import killed (SIGKILL, in a real subprocess) at a given step leaves
the warehouse either without the file or with all of it, and importing the file again
completes what a crash after the commit left out (building positions beside the
warehouse)."""

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from terrinum.pillars.ingest import ingest
from terrinum.warehouse import store
from tests.sources.test_arcep_batiments import make_quarter
from tests.sources.test_arcep_mobile_couverture import commune_l93, write_gpkg

KILLED = -signal.SIGKILL


def _import_killed_at(warehouse_path, kind, path, module, function) -> int:
    """Run `terrinum ingest` in a subprocess whose `module.function` kills the process
    (SIGKILL: no clean-up, no exception handler) when the import reaches it."""
    script = textwrap.dedent(f"""
        import os, signal, sys
        from terrinum.cli.common import django_setup
        django_setup()
        import {module} as target
        def die(*args, **kwargs):
            os.kill(os.getpid(), signal.SIGKILL)
        setattr(target, {function!r}, die)
        from terrinum.pillars.ingest import ingest
        from terrinum.warehouse import store
        with store.connect({str(warehouse_path)!r}) as con:
            ingest(con, {kind!r}, __import__("pathlib").Path({str(path)!r}))
        print("import fini sans être tué")
    """)
    env = {**os.environ, "TERRINUM_DATA_DIR": str(warehouse_path.parent)}
    return subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300).returncode


@pytest.fixture
def warehouse_file(fresh_data_dir):
    return fresh_data_dir / "warehouse.duckdb"


def _count(path, sql):
    with store.connect(path, read_only=True) as con:
        return con.execute(sql).fetchone()[0]


def test_killed_after_the_commit_building_positions_are_completed_by_a_rerun(warehouse_file, tmp_path):
    root = make_quarter(tmp_path / "q")
    code = _import_killed_at(warehouse_file, "arcep-mci-batiments", root, "terrinum.warehouse.buildings", "promote")
    assert code == KILLED
    assert _count(warehouse_file, "SELECT count(*) FROM provenance WHERE source = 'arcep-mci-batiments'") == 1  # committed
    folder = store.buildings_root(warehouse_file) / "2024T4"
    assert not folder.exists() or not list(folder.glob("*.parquet"))  # ... but no positions
    with store.connect(warehouse_file) as con:
        report = ingest(con, "arcep-mci-batiments", root)
    assert report.deja_importe and any("complétées" in n for n in report.notes)
    assert sorted(p.name for p in folder.glob("*.parquet")) == ["08-sans-thd.parquet", "08.parquet", "23-sans-thd.parquet", "23.parquet"]
    assert sorted(store.buildings_root(warehouse_file).glob(".en-cours-*")) == []  # the killed run's staging folder is gone too
    with store.connect(warehouse_file) as con:  # and a third run has nothing left to do
        assert not any("position" in n for n in ingest(con, "arcep-mci-batiments", root).notes)


def test_killed_during_the_operator_combination_nothing_of_the_file_is_kept(warehouse_file, tmp_path):
    with store.connect(warehouse_file, read_only=True) as con:
        gueret = commune_l93(con, "23096")
    path = write_gpkg(tmp_path / "2024_T1_couv_Metropole_OF_4G_data.gpkg", [gueret.buffer(-200)], ["BC"])
    code = _import_killed_at(warehouse_file, "arcep-mobile-couverture", path, "terrinum.pillars.connectivite_mobile.transforms", "combine_operators")
    assert code == KILLED
    # the combination runs inside the import's transaction: killed there, nothing is committed
    assert _count(warehouse_file, "SELECT count(*) FROM provenance WHERE source = 'arcep-mobile-couverture'") == 0
    assert _count(warehouse_file, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'cm_couverture'") == 0 or (
        _count(warehouse_file, "SELECT count(*) FROM cm_couverture") == 0
    )
    with store.connect(warehouse_file) as con:
        report = ingest(con, "arcep-mobile-couverture", path)
        assert not report.deja_importe and any("combinaison" in n for n in report.notes)
        assert con.execute("SELECT count(*) FROM cm_combinaison WHERE code_commune = '23096'").fetchone()[0] == 1


def test_killed_before_its_version_is_published_no_side_file_is_visible(fresh_data_dir, tmp_path):
    """The per-building files of an import appear with the warehouse version that references
    them, never before: killed while the version's published tables are computed (after the
    import's commit in the draft, before the draft replaces the current version), the current
    version and the folder beside it are both the previous ones (7 kills out of 7 left the new
    files beside the old version)."""
    root = make_quarter(tmp_path / "q")
    script = textwrap.dedent(f"""
        import os, signal, pathlib
        from terrinum.cli.common import django_setup
        django_setup()
        from terrinum.pillars import publication
        def die(*args, **kwargs):
            os.kill(os.getpid(), signal.SIGKILL)
        publication.publish = die
        from terrinum.pillars.ingest import ingest_path
        ingest_path("arcep-mci-batiments", pathlib.Path({str(root)!r}))
    """)
    env = {**os.environ, "TERRINUM_DATA_DIR": str(fresh_data_dir)}
    assert subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300).returncode == KILLED
    warehouse_file = fresh_data_dir / "warehouse.duckdb"
    assert _count(warehouse_file, "SELECT count(*) FROM provenance WHERE source = 'arcep-mci-batiments'") == 0  # the previous version
    folder = store.buildings_root(warehouse_file) / "2024T4"
    assert not folder.exists() or not list(folder.glob("*.parquet"))
    from terrinum.pillars.ingest import ingest_path

    ingest_path("arcep-mci-batiments", root)  # the next import removes the killed one's staging and publishes both together
    assert sorted(p.name for p in folder.glob("*.parquet")) == ["08-sans-thd.parquet", "08.parquet", "23-sans-thd.parquet", "23.parquet"]
    assert sorted(store.buildings_root(warehouse_file).glob(".en-cours-*")) == []
