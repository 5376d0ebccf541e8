"""National scale (docs/echelle-nationale.md): synthetic national files, the per-building
aggregation embedded or on a real Dask LocalCluster started here, a worker killed mid-run,
and a new quarter that rewrites only its own partitions."""

import gzip
import os
import shutil
import signal
import threading
import time
from pathlib import Path

import polars as pl
import pytest

from terrinum import engines
from terrinum.pillars.connectivite_fixe import synthetique
from terrinum.pillars.ingest import ingest
from terrinum.warehouse import buildings, store

DEPARTEMENTS = ["08", "23", "2A", "974"]
SCALE = 0.02


@pytest.fixture(scope="module")
def national(demo_data_dir, tmp_path_factory) -> Path:
    """Synthetic files of four départements (one of Corsica, one overseas), two quarters."""
    root = tmp_path_factory.mktemp("national")
    with store.connect(demo_data_dir / "warehouse.duckdb", read_only=True) as con:
        totals = synthetique.generate(con, root, scale=SCALE, seed=7, departements=DEPARTEMENTS, millesime="2024T4")
    assert totals["departements"] == 4 and totals["calibration"] == "démonstration"
    shutil.copytree(root / "eligibilite" / "2024T4", root / "eligibilite" / "2025T1")
    return root


@pytest.fixture(scope="module")
def cluster():
    engine = engines.Dask(workers=2)
    yield engine
    engine.close()


def _warehouse(path: Path, reference_build):
    path.mkdir(parents=True, exist_ok=True)
    con = store.connect(path / "warehouse.duckdb")
    store.publish_reference_build(con, reference_build, "test")
    return con


def _tables(con) -> dict:
    """What the import leaves in the warehouse: every table it fills, ordered."""
    out = {}
    existing = {name for (name,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    for table in ("cf_debits", "cf_ftth", "cf_technologies"):
        out[table] = con.execute(f"SELECT * FROM {table} ORDER BY millesime, code_source").fetchall() if table in existing else []
    out["provenance"] = con.execute(
        "SELECT source, millesime, fichier, sha256, lignes_lues, lignes_chargees, lignes_rejetees FROM provenance ORDER BY source"
    ).fetchall()
    return out


def _files(con, millesime: str) -> dict:
    folder = store.buildings_dir(con, millesime)
    return {p.name: pl.read_parquet(p).sort(pl.all()) for p in sorted(folder.glob("*.parquet"))}


def test_synthetic_files_are_deterministic_schema_faithful_and_calibrated(national, demo_data_dir, tmp_path):
    with store.connect(demo_data_dir / "warehouse.duckdb", read_only=True) as con:
        synthetique.generate(con, tmp_path, scale=SCALE, seed=7, departements=["23"], millesime="2024T4")
        expected = con.execute(
            "SELECT code_departement, sum(round(locaux * ?)) FROM cf_debits WHERE millesime = '2024T4' AND code_departement IN ('08', '23', '2A', '974') GROUP BY 1",
            [SCALE],
        ).fetchall()
    # one département alone: the same bytes as when written with the others (seeded per commune)
    for name in ("base_imb_23.csv.gz", "eligibilite/2024T4/actuel_23.csv.gz"):
        assert gzip.decompress((tmp_path / name).read_bytes()) == gzip.decompress((national / name).read_bytes())
    header = gzip.open(national / "base_imb_2A.csv.gz", "rt").readline().strip().split(";")
    assert header == synthetique.BASE_COLUMNS
    # each commune's premises are exactly its figure × the scale
    premises = {dep: 0 for dep in DEPARTEMENTS}
    for dep in DEPARTEMENTS:
        frame = pl.read_csv(national / f"base_imb_{dep}.csv.gz", separator=";", infer_schema=False)
        assert frame["imb_id"].str.starts_with("SYN").all()
        premises[dep] = frame["imb_nbr_logloc"].cast(pl.Int64).sum()
    assert premises == {dep: int(total) for dep, total in expected}


def test_embedded_and_dask_give_identical_warehouses_and_files(national, cluster, tmp_path, reference_build):
    assert cluster.workers == 2
    results = {}
    for name, engine in (("local", engines.Embedded()), ("dask", cluster)):
        seen = []
        with _warehouse(tmp_path / name, reference_build) as con:
            report = ingest(
                con, "arcep-mci-batiments", national, millesime="2024T4", engine=engine, progress=lambda done, total, seen=seen: seen.append((done, total))
            )
            assert report.chargees > 500 and not report.rejetees
            results[name] = (_tables(con), _files(con, "2024T4"))
        assert seen[-1] == (4, 4) and len(seen) == 4
    (tables_local, files_local), (tables_dask, files_dask) = results["local"], results["dask"]
    assert tables_local == tables_dask
    assert files_local.keys() == files_dask.keys() == {f"{d}{s}.parquet" for d in DEPARTEMENTS for s in ("", "-sans-thd")}
    for name in files_local:
        assert files_local[name].equals(files_dask[name]), name


def test_a_new_quarter_rewrites_only_its_own_partitions(national, cluster, fresh_data_dir):
    with store.connect(fresh_data_dir / "warehouse.duckdb") as con:
        ingest(con, "arcep-mci-batiments", national, millesime="2024T4", engine=cluster)
        first = store.buildings_dir(con, "2024T4")
        before = {p.name: p.stat().st_mtime_ns for p in first.iterdir()}
        manifest = buildings.read_manifest(first)
        assert sorted(manifest["partitions"]) == sorted(DEPARTEMENTS) and manifest["millesime"] == "2024T4"
        assert manifest["partitions"]["974"]["fichiers"]["eligibilite"]["nom"] == "eligibilite/2024T4/actuel_974.csv.gz"
        ingest(con, "arcep-mci-batiments", national, millesime="2025T1", engine=cluster)
        assert {p.name: p.stat().st_mtime_ns for p in first.iterdir()} == before  # not one file of 2024T4 rewritten
        assert buildings.read_manifest(first) == manifest
        assert sorted(buildings.read_manifest(store.buildings_dir(con, "2025T1"))["partitions"]) == sorted(DEPARTEMENTS)
        # invented rows are loaded labelled as demonstration values, never as data
        assert con.execute("SELECT count(DISTINCT millesime), bool_and(demo) FROM cf_debits WHERE source = 'arcep-mci-batiments'").fetchone() == (2, True)
        # the same quarter again: already imported, nothing rewritten
        assert ingest(con, "arcep-mci-batiments", national, millesime="2024T4", engine=cluster).deja_importe
        assert {p.name: p.stat().st_mtime_ns for p in first.iterdir()} == before
        assert not list(store.buildings_dir(con).glob(".en-cours-*"))


def _kill_the_first_busy_worker(engine, killed: list) -> threading.Thread:
    """A watcher that kills (SIGKILL) the first worker seen computing a partition. Fresh
    workers import Polars and Terrinum in their first task: it lasts long enough to be seen."""
    pids = engine.client.run(os.getpid)

    def watch():
        deadline = time.monotonic() + 120
        while not killed and time.monotonic() < deadline:
            for worker, keys in engine.client.processing().items():
                if keys:
                    os.kill(pids[worker], signal.SIGKILL)
                    killed.append(worker)
                    return
            time.sleep(0.005)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    return watcher


@pytest.mark.parametrize("retries", [3, 0], ids=["relancé", "sans-relance"])
def test_a_worker_killed_mid_run_completes_identically_or_fails_cleanly(national, tmp_path, reference_build, retries):
    """Dask relaunches a lost worker's partitions elsewhere (3 times by default): the run
    completes with the embedded results. With no relaunch allowed, it fails with a clear
    message and the warehouse and the building files are as before."""
    import dask
    import distributed  # noqa: F401  (its defaults in dask's configuration before one is overridden)

    with _warehouse(tmp_path / "local", reference_build) as con:
        ingest(con, "arcep-mci-batiments", national, millesime="2024T4")
        expected = _tables(con), _files(con, "2024T4")
    with dask.config.set({"distributed.scheduler.allowed-failures": retries}):
        engine = engines.Dask(workers=2)
    killed = []
    try:
        with _warehouse(tmp_path / "dask", reference_build) as con:
            before = _tables(con)
            try:
                watcher = _kill_the_first_busy_worker(engine, killed)
                ingest(con, "arcep-mci-batiments", national, millesime="2024T4", engine=engine)
            except engines.EngineError as exc:
                assert retries == 0 and killed
                assert "worker Dask a été perdu" in str(exc) and "rien n'est chargé" in str(exc)
                assert _tables(con) == before
                assert not store.buildings_dir(con, "2024T4").exists()
                assert not list(store.buildings_dir(con).glob(".en-cours-*"))
            else:
                assert _same(expected, (_tables(con), _files(con, "2024T4")))
            watcher.join()
            assert killed, "no worker was seen computing a partition"
    finally:
        engine.close()


def _same(a, b) -> bool:
    (ta, fa), (tb, fb) = a, b
    return ta == tb and fa.keys() == fb.keys() and all(fa[k].equals(fb[k]) for k in fa)


def test_the_buildings_by_coverage_zones_join_is_identical_embedded_and_on_dask(national, cluster, tmp_path, reference_build):
    """The coverage import spreads population over the buildings' premises: the join of the
    buildings with the zones, per département, gives the same shares on the cluster."""
    from tests.sources.test_arcep_mobile_couverture import commune_l93, write_gpkg

    results = {}
    for name, engine in (("local", engines.Embedded()), ("dask", cluster)):
        with _warehouse(tmp_path / name, reference_build) as con:
            ingest(con, "arcep-mci-batiments", national, millesime="2024T4")
            path = tmp_path / "2024_T4_couv_Metropole_OF_4G_data.gpkg"
            if not path.exists():  # the same file for both: Guéret and Aubusson, partly covered
                write_gpkg(path, [commune_l93(con, "23096").buffer(-300), commune_l93(con, "23008").buffer(-400)], ["BC", "TBC"])
            report = ingest(con, "arcep-mobile-couverture", path, engine=engine)
            spread = next(n for n in report.notes if "répartie selon les locaux" in n)
            results[name] = con.execute("SELECT * FROM cm_couverture ORDER BY code_source").fetchall()
            assert con.execute("SELECT part_pop_bc FROM cm_couverture WHERE code_source = '23096'").fetchone()[0] > 50
    assert "dans 0 commune" not in spread and len(results["local"]) > 200
    assert results["local"] == results["dask"]


@pytest.mark.realdata
def test_synthetic_files_after_a_real_import_have_unique_ids_and_never_replace_real_rows(real_data, tmp_path, reference_build):
    """Calibrated on the real 2019 file (an older geography: communes nouvelles have several
    rows), the synthetic files gave duplicate building ids (16–17 per département) that the
    import then refused; importing synthetic files deleted the real rows of their
    départements. Each commune is drawn once, and the synthetic import is refused."""
    with _warehouse(tmp_path / "reel", reference_build) as con:
        ingest(con, "arcep-mci-communes", real_data / "arcep" / "mci_2019T3_communes_debit_beta.csv", accept_rejects=True)
        merged = con.execute(
            "SELECT count(*) FROM (SELECT code_commune FROM cf_debits WHERE code_departement = '08' GROUP BY 1 HAVING count(*) > 1)"
        ).fetchone()[0]
        assert merged > 0  # communes nouvelles of the Ardennes, several rows each
        totals = synthetique.generate(con, tmp_path / "synthetique", scale=SCALE, seed=7, departements=["08"], millesime="2019T3")
        assert totals["calibration"] == "données importées"
        frame = pl.read_csv(tmp_path / "synthetique" / "base_imb_08.csv.gz", separator=";", infer_schema=False)
        assert frame["imb_id"].is_unique().all()
        before = con.execute("SELECT count(*), sum(locaux) FROM cf_debits WHERE NOT demo").fetchone()
        from terrinum.warehouse.ingest import IngestRefused

        with pytest.raises(IngestRefused, match="ne mélange jamais réel et démonstration"):
            ingest(con, "arcep-mci-batiments", tmp_path / "synthetique", millesime="2019T3")
        assert con.execute("SELECT count(*), sum(locaux) FROM cf_debits WHERE NOT demo").fetchone() == before
