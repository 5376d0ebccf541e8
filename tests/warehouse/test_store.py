import duckdb
import pytest

from terrinum.warehouse import store

PROV = {"source": "referentiel", "millesime": "2023", "fichier": "f", "sha256": "abc", "lues": 1, "chargees": 1, "rejetees": 0}


def test_provenance_row(tmp_path):
    con = store.connect(tmp_path / "w.duckdb")
    store.publish_reference(
        con,
        [{"code": "23096", "nom": "Guéret", "epci_code": "200034825", "departement_code": "23", "region_code": "75", "population": 1}],
        [{"code": "23", "nom": "Creuse", "region_code": "75"}],
        PROV,
    )
    row = store.latest_provenance(con, "referentiel")
    assert row["fichier"] == "f" and row["lignes_lues"] == 1 and row["millesime"] == "2023"
    assert store.latest_provenance(con, "autre") is None


def test_publish_is_atomic(tmp_path):
    con = store.connect(tmp_path / "w.duckdb")
    good = [{"code": "23096", "nom": "Guéret", "epci_code": None, "departement_code": "23", "region_code": "75", "population": 1}]
    deps = [{"code": "23", "nom": "Creuse", "region_code": "75"}]
    store.publish_reference(con, good, deps, PROV)
    bad = good + [{"code": "23097", "nom": None, "epci_code": None, "departement_code": "23", "region_code": "75", "population": 1}]
    with pytest.raises(duckdb.Error):
        store.publish_reference(con, bad, deps, PROV)
    assert con.execute("SELECT count(*) FROM ref_commune").fetchone() == (1,)
    assert con.execute("SELECT count(*) FROM provenance").fetchone() == (1,)


def test_sha256_of(tmp_path):
    p = tmp_path / "x"
    p.write_bytes(b"abc")
    assert store.sha256_of(p) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_a_kept_result_is_computed_once_for_simultaneous_requests():
    import threading
    import time

    from terrinum.warehouse.store import Cache

    cache, calls = Cache(4), []

    def slow():
        calls.append(1)
        time.sleep(0.3)
        return ["lignes"]

    results = []
    threads = [threading.Thread(target=lambda: results.append(cache.get_or_compute("clé", slow))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [["lignes"]] * 4 and len(calls) == 1 and not cache.computing
    for k in range(6):  # least recently used out
        cache.put(k, k)
    assert cache.get("clé") is None and cache.get(5) == 5 and len(cache.items) == 4


def test_a_cache_with_a_budget_keeps_its_total_weight_under_it():
    from terrinum.warehouse.store import Cache

    cache = Cache(100, weight=len, budget=10)
    cache.put("a", [0] * 4)
    cache.put("b", [0] * 4)
    assert cache.get("a") is not None  # a read makes "a" the most recently used
    cache.put("c", [0] * 4)  # 12 > 10: the least recently used ("b") goes
    assert cache.get("b") is None and cache.get("a") and cache.get("c") and cache.total == 8
    cache.put("c", [0] * 2)  # a value replaced counts once
    assert cache.total == 6
    cache.put("d", [0] * 25)  # heavier than the budget alone: kept, every other one goes
    assert list(cache.items) == ["d"] and cache.total == 25
    cache.put("e", [0])
    assert list(cache.items) == ["e"] and cache.total == 1
