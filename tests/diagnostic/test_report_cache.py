"""Sections that depend on the warehouse alone are computed once per warehouse version; a
publication (an import) makes them recomputed; other sections are computed every time."""

import pytest

from terrinum import pillars
from terrinum.diagnostic import report
from terrinum.territories import services
from terrinum.warehouse import store

pytestmark = pytest.mark.django_db
CALLS = {"entrepot": 0, "registre": 0}


def _counting(name):
    def compose(ctx):
        CALLS[name] += 1
        n = ctx.con.execute("SELECT count(*) FROM provenance").fetchone()[0]
        return {"fichiers": n}

    return compose


@pytest.fixture
def counting_sections(fresh_data_dir):
    added = [
        pillars.Pillar(key="essai-entrepot", title="E", order=901, section=pillars.Section("ze", "E", _counting("entrepot"), "x.html")),
        pillars.Pillar(key="essai-registre", title="R", order=902, section=pillars.Section("zr", "R", _counting("registre"), "x.html", warehouse_only=False)),
    ]
    for p in added:
        pillars.register(p)
    CALLS.update(entrepot=0, registre=0)
    yield fresh_data_dir
    for p in added:
        pillars.unregister(p.key)


def _compose():
    gueret = services.get("commune", "23096")
    return {s.key: s.data for s in report.compose(gueret, [], lambda t: "metro", lambda t: "#") if s.key in ("ze", "zr")}


def test_sections_are_kept_per_warehouse_version(counting_sections):
    first, second = _compose(), _compose()
    assert first == second == {"ze": {"fichiers": 1}, "zr": {"fichiers": 1}}
    assert CALLS == {"entrepot": 1, "registre": 2}  # the registry's section is not kept
    with store.writer(counting_sections / "warehouse.duckdb") as con:  # an import publishes a new version
        store.record_provenance(con, source="essai", millesime="2024", fichier="f", sha256="0", lues=0, chargees=0, rejetees=0, details={})
    assert _compose() == {"ze": {"fichiers": 2}, "zr": {"fichiers": 2}}
    assert CALLS == {"entrepot": 2, "registre": 3}
