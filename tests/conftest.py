"""Shared fixtures: the real territorial reference, loaded once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from terrinum.config import data_dir
from terrinum.territories import loader

REAL_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"


@pytest.fixture(scope="session")
def reference_build():
    """The reference computed from the packaged sources (cached in the data directory)."""
    return loader.build_or_cached(data_dir() / "cache")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker, reference_build):
    """Test database with the full real reference (every commune of France) loaded once."""
    with django_db_blocker.unblock():
        loader.load_reference(reference_build)


@pytest.fixture
def real_data() -> Path:
    if not REAL_DATA.is_dir():
        pytest.skip("../shared/data/real absent")
    return REAL_DATA


@pytest.fixture
def warehouse(tmp_path, reference_build):
    """A fresh DuckDB warehouse holding the real reference tables."""
    from terrinum.warehouse import store

    con = store.connect(tmp_path / "warehouse.duckdb")
    store.publish_reference_build(con, reference_build, "test")
    yield con
    con.close()


@pytest.fixture
def fresh_data_dir(tmp_path, reference_build, monkeypatch):
    """A fresh data directory for this test (TERRINUM_DATA_DIR), its warehouse holding the
    real reference, published as `terrinum init` does."""
    from terrinum.pillars import publication
    from terrinum.warehouse import store

    root = tmp_path / "data"
    with publication.next_version(root / "warehouse.duckdb") as con:
        store.publish_reference_build(con, reference_build, "test")
    monkeypatch.setenv("TERRINUM_DATA_DIR", str(root))
    return root


@pytest.fixture(scope="session")
def demo_data_dir(tmp_path_factory, reference_build):
    """A data directory whose warehouse holds the reference and the demonstration values,
    with its published tables (as `terrinum init` then `terrinum demo` leave it)."""
    from terrinum.pillars import all_pillars, publication
    from terrinum.warehouse import store

    root = tmp_path_factory.mktemp("demo-data")
    with publication.next_version(root / "warehouse.duckdb") as con:
        store.publish_reference_build(con, reference_build, "test")
        for pillar in all_pillars():
            if pillar.demo is not None:
                pillar.demo(con)
    return root


@pytest.fixture
def demo_warehouse(demo_data_dir, monkeypatch):
    """Point the application at the demo data directory for one test."""
    monkeypatch.setenv("TERRINUM_DATA_DIR", str(demo_data_dir))
    return demo_data_dir
