"""Resolution of codes and names against the real reference."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from terrinum.territories import services
from terrinum.territories.models import CodeAlias, Territory

pytestmark = pytest.mark.django_db


def found(query):
    res = services.resolve(query)
    assert res.statut == "trouve", (query, res.statut, res.message, [c.code for c in res.candidats])
    return res.territoire


@pytest.mark.parametrize(
    "query,niveau,code",
    [
        ("gueret", "commune", "23096"),
        ("GUÉRET", "commune", "23096"),
        ("Signy l Abbaye", "commune", "08419"),
        ("signy-l'abbaye", "commune", "08419"),
        ("08419", "commune", "08419"),
        ("2A004", "commune", "2A004"),  # Ajaccio: Corsican code
        ("2a004", "commune", "2A004"),
        ("75101", "arrondissement", "75101"),
        ("240800862", "epci", "240800862"),
        ("212309603", "commune", "23096"),  # SIREN of Guéret
        ("23", "departement", "23"),
        ("2B", "departement", "2B"),
        ("971", "departement", "971"),
        ("departement:75", "departement", "75"),
        ("region:75", "region", "75"),
        ("Haute-Vienne", "departement", "87"),
        ("Nouvelle-Aquitaine", "region", "75"),
        ("france", "pays", "FR"),
        ("75001", "commune", "75056"),  # postal code of Paris only (not an INSEE code)
    ],
)
def test_resolves(query, niveau, code):
    t = found(query)
    assert (t.niveau, t.code) == (niveau, code)


def test_ambiguous_name_lists_every_candidate_by_population():
    res = services.resolve("SAINT-DENIS")
    assert res.statut == "ambigu"
    codes = [c.code for c in res.candidats]
    assert codes[:2] == ["97411", "93066"]  # La Réunion's is the most populated
    assert {"11339", "30247"} <= set(codes)
    pops = [c.population for c in res.candidats]
    assert pops == sorted(pops, reverse=True)
    assert res.territoire is None


def test_name_shared_by_a_departement_and_communes_ranks_the_departement_first():
    res = services.resolve("Creuse")
    assert res.statut == "ambigu"
    assert (res.candidats[0].niveau, res.candidats[0].code) == ("departement", "23")


def test_code_shared_by_departement_and_region_is_ambiguous():
    res = services.resolve("75")
    assert res.statut == "ambigu"
    assert {(c.niveau, c.code) for c in res.candidats} == {("departement", "75"), ("region", "75")}


def test_partial_name_gives_candidates():
    res = services.resolve("signy")
    assert res.statut == "ambigu"
    assert "08419" in [c.code for c in res.candidats]
    assert all("signy" in c.nom_recherche for c in res.candidats)


def test_former_commune_code_resolves_and_says_so():
    alias = CodeAlias.objects.filter(type="commune_deleguee").exclude(code__in=Territory.objects.values("code")).first()
    res = services.resolve(alias.code)
    assert res.statut == "trouve"
    assert res.territoire.code == alias.commune_code
    assert alias.code in res.note and "ancienne commune" in res.note


def test_postal_code_of_several_communes_is_ambiguous():
    res = services.resolve("23000")  # Guéret and 14 neighbouring communes share it
    assert res.statut == "ambigu"
    assert res.candidats[0].code == "23096"
    assert res.message == f"Plusieurs territoires ({len(res.candidats)}) répondent au code postal 23000."


@pytest.mark.parametrize("query", ["", "   "])
def test_empty_query_is_an_error(query):
    with pytest.raises(services.ResolutionError, match="vide"):
        services.resolve(query)


def test_too_long_query_is_an_error():
    with pytest.raises(services.ResolutionError, match="trop longue"):
        services.resolve("a" * 201)


def test_punctuation_only_is_an_error():
    with pytest.raises(services.ResolutionError, match="ni lettre ni chiffre"):
        services.resolve("'-'")


@pytest.mark.parametrize("query", ["1234", "99999", "123456", "zzzzqq", "commune:00000"])
def test_unknown_or_malformed(query):
    res = services.resolve(query)
    assert res.statut == "inconnu"
    assert res.message


def test_parents_and_children():
    gueret = Territory.objects.get(niveau="commune", code="23096")
    assert [(p.niveau, p.code) for p in services.parents(gueret)] == [
        ("epci", "200034825"), ("departement", "23"), ("region", "75"), ("pays", "FR"),
    ]  # fmt: skip
    arr = Territory.objects.get(niveau="arrondissement", code="75101")
    assert [p.code for p in services.parents(arr)] == ["75056", "75", "11", "FR"]
    creuse = Territory.objects.get(niveau="departement", code="23")
    assert services.children(creuse).count() == creuse.nb_communes
    assert services.children(Territory.objects.get(niveau="pays")).count() == 18
    assert services.children(gueret).count() == 0


def test_public_shape_of_a_commune():
    d = services.as_dict(Territory.objects.get(niveau="commune", code="08419"))
    assert d["code"] == "08419" and d["niveau"] == "commune" and d["nom"] == "Signy-l'Abbaye"
    assert d["epci"] == {"code": "240800862", "nom": "Communauté de communes des Crêtes Préardennaises"}
    assert d["departement"] == "08" and d["region"] == "44"
    assert d["population_millesime"] == "2023" and d["superficie_km2"] > 50
    assert set(d["mairie"]) >= {"adresse", "latitude", "longitude"}
    assert [p["niveau"] for p in d["parents"]] == ["epci", "departement", "region", "pays"]
    assert d["codes_postaux"] == ["08460"]


def test_insee_code_wins_over_an_identical_postal_code():
    # 08460 is both the INSEE code of a commune and the postal code of Signy-l'Abbaye.
    res = services.resolve("08460")
    assert res.statut == "trouve" and res.territoire.code == "08460" and res.note is None


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=250))
def test_any_text_gets_an_answer_or_a_clear_error(text):
    try:
        res = services.resolve(text)
    except services.ResolutionError as exc:
        assert str(exc)
    else:
        assert res.statut in ("trouve", "ambigu", "inconnu")
        assert (res.territoire is not None) == (res.statut == "trouve")
        assert res.statut == "trouve" or res.message


@pytest.mark.parametrize(
    "code,name",
    [("76351", "Le Havre"), ("23176", "La Souterraine"), ("78440", "Les Mureaux"), ("43157", "Le Puy-en-Velay"), ("94038", "L'Haÿ-les-Roses")],
)
def test_commune_names_keep_their_article_and_are_found_with_or_without_it(code, name):
    """The official name is the COG libellé with its article ("Havre", "Souterraine" before);
    "La Souterraine" went silently to Saint-Maurice-la-Souterraine, "Le Havre" to the EPCI."""
    assert services.get("commune", code).nom == name
    assert found(name).code == code


def test_without_the_article_too():
    assert found("Souterraine").code == "23176" and found("havre").code == "76351" and found("mureaux").code == "78440"
    # Two communes are named "La Rochelle" (17 and 70): candidates, the larger first.
    for query in ("La Rochelle", "rochelle"):
        res = services.resolve(query)
        assert res.statut == "ambigu" and [c.code for c in res.candidats][:2] == ["17300", "70450"]
    assert services.get("commune", "17300").nom == "La Rochelle"


def test_an_inner_article_still_counts():
    assert found("Saint-Maurice-la-Souterraine").code == "23219"
    res = services.resolve("La Réunion")  # the département and the région share the name
    assert {(c.niveau, c.code) for c in res.candidats} >= {("departement", "974"), ("region", "04")}


def test_de_and_a_name_as_french_says_it():
    """« de Le Havre », « de France » were written; « du Havre », « de la France »."""
    from terrinum.territories.normalize import de

    assert [de(n, niveau) for n, niveau in (("Le Havre", "commune"), ("France", "pays"), ("Les Mureaux", "commune"), ("La Souterraine", "commune"),
            ("L'Isle-Adam", "commune"), ("Ahun", "commune"), ("Guéret", "commune"), ("Évaux-les-Bains", "commune"))] == [
        "du Havre", "de la France", "des Mureaux", "de la Souterraine", "de l'Isle-Adam", "d'Ahun", "de Guéret", "d'Évaux-les-Bains"]  # fmt: skip


def test_departements_and_regions_take_their_article_from_the_cog():
    """Départements and régions come without their article: « de Creuse » was written."""
    names = {(t.niveau, t.code): t.de_nom for t in Territory.objects.filter(niveau__in=["departement", "region"])}
    assert names[("departement", "23")] == "de la Creuse"
    assert names[("departement", "08")] == "des Ardennes"
    assert names[("departement", "01")] == "de l'Ain"
    assert names[("departement", "24")] == "de la Dordogne"
    assert names[("departement", "75")] == "de Paris"
    assert names[("departement", "76")] == "de la Seine-Maritime"
    assert names[("region", "75")] == "de la Nouvelle-Aquitaine"
    assert names[("region", "44")] == "du Grand Est"
    assert names[("region", "32")] == "des Hauts-de-France"
