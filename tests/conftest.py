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
