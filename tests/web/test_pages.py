"""Public pages through Django's test client, on the real reference."""

import re
from pathlib import Path

import pytest

import terrinum

pytestmark = pytest.mark.django_db


def test_home_has_a_search_form_that_works_without_javascript(client):
    html = client.get("/").content.decode()
    assert '<form class="recherche" action="/recherche" method="get"' in html
    assert '<label for="q">' in html
    assert 'lang="fr"' in html and 'href="#contenu"' in html


def test_search_unique_redirects_to_the_territory(client):
    r = client.get("/recherche", {"q": "gueret"})
    assert r.status_code == 302 and r["Location"] == "/territoires/commune/23096/"


def test_search_former_code_redirects_with_a_note(client):
    from terrinum.territories.models import CodeAlias, Territory

    alias = CodeAlias.objects.exclude(code__in=Territory.objects.values("code")).first()
    r = client.get("/recherche", {"q": alias.code}, follow=True)
    assert r.redirect_chain[-1][0].startswith(f"/territoires/commune/{alias.commune_code}/")
    assert "ancienne commune" in r.content.decode()


def test_search_ambiguous_lists_candidates(client):
    html = client.get("/recherche", {"q": "saint-denis"}).content.decode()
    assert html.index("97411") < html.index("93066")
    assert "/territoires/commune/11339/" in html


def test_search_empty_is_a_clear_400(client):
    r = client.get("/recherche", {"q": ""})
    assert r.status_code == 400
    assert "La recherche est vide" in r.content.decode()


def test_search_unknown_says_so(client):
    r = client.get("/recherche", {"q": "zzzzqq"})
    assert r.status_code == 200 and "Aucun territoire" in r.content.decode()


@pytest.mark.parametrize(
    "url,expected",
    [
        ("/territoires/commune/08419/", ["Signy-l&#x27;Abbaye", "Crêtes Préardennaises", "Mairie", "<svg"]),
        ("/territoires/commune/75056/", ["Paris", "Arrondissements municipaux (20)", "Paris 1er Arrondissement"]),
        ("/territoires/epci/240800862/", ["Crêtes Préardennaises", "Communes (", "Signy-l&#x27;Abbaye", "<svg"]),
        ("/territoires/departement/23/", ["Creuse", "Guéret", "Intercommunalités présentes", "<svg"]),
        ("/territoires/region/75/", ["Nouvelle-Aquitaine", "Départements (12)", "Creuse"]),
        ("/france/", ["France", "Régions (18)", "Guadeloupe", "<svg", "encart", 'class="encart-nom" x=', ">Mayotte</text>"]),
    ],
)
def test_territory_pages(client, url, expected):
    r = client.get(url)
    assert r.status_code == 200
    html = r.content.decode()
    for text in expected:
        assert text in html, text
    assert "Sources et millésimes" in html


def test_breadcrumb_goes_up_to_france(client):
    html = client.get("/territoires/commune/23096/").content.decode()
    crumbs = re.search(r'<nav aria-label="Fil d\'Ariane".*?</nav>', html, re.S).group(0)
    assert crumbs.index("France") < crumbs.index("Nouvelle-Aquitaine") < crumbs.index("Creuse") < crumbs.index("Grand Guéret")


def test_children_table_sorts_on_the_server(client):
    by_name = client.get("/territoires/region/75/", {"tri": "nom", "ordre": "asc"}).content.decode()
    table = by_name[by_name.index('id="sous-territoires"') :]
    assert table.index("Charente") < table.index("Vienne")
    assert 'aria-sort="ascending"' in table
    by_pop = client.get("/territoires/region/75/", {"tri": "population", "ordre": "desc"}).content.decode()
    table = by_pop[by_pop.index('id="sous-territoires"') :]
    assert table.index("Gironde") < table.index("Creuse")
    # garbage sort parameters fall back to the default, never an error
    assert client.get("/territoires/region/75/", {"tri": "<script>", "ordre": "x"}).status_code == 200


def test_lowercase_corsican_code_redirects(client):
    r = client.get("/territoires/departement/2a/")
    assert r.status_code == 302 and r["Location"] == "/territoires/departement/2A/"


@pytest.mark.parametrize("url", ["/territoires/commune/99999/", "/territoires/commune/gueret/", "/territoires/canton/23/", "/nimporte/quoi"])
def test_unknown_is_a_404_page_with_search(client, url):
    r = client.get(url)
    assert r.status_code == 404
    html = r.content.decode()
    assert "Page introuvable" in html and 'action="/recherche"' in html


def test_404_suggests_the_territory_named_in_the_path(client):
    html = client.get("/territoires/commune/gueret/").content.decode()
    assert "/territoires/commune/23096/" in html


def test_static_assets_are_served_locally(client):
    html = client.get("/").content.decode()
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "") and "https://" not in html
    response = client.get("/static/terrinum/terrinum.css")
    assert response.status_code == 200
    response.close()  # a streamed file: closed as a server would


def test_favicon_is_served(client):
    """Browsers ask /favicon.ico on every page: it was a 404."""
    assert 'rel="icon"' in client.get("/").content.decode()
    response = client.get("/favicon.ico", follow=True)
    assert response.status_code == 200 and response["Content-Type"].startswith("image/svg+xml")
    response.close()  # a streamed file; closing ends the request (and its database connection): last


METHODOLOGY = sorted(p.name[len("methodologie-") : -len(".md")] for p in (Path(terrinum.__file__).parent / "methodologie").glob("methodologie-*.md"))


def test_every_methodology_page_is_checked():
    assert {"schema-directeur", "couverture", "diagnostic"} <= set(METHODOLOGY)


@pytest.mark.parametrize("name", METHODOLOGY)
def test_public_methodology_has_no_engineering_notes(client, name):
    """The methodology pages are for citizens and élus: benchmark timings, command lines and
    options, column names, library internals (« GEOS libère le verrou de Python ») and work
    states (« État : partiel ») live in docs/methodologie-technique/ (not served)."""
    response = client.get(f"/methodologie/{name}")
    assert response.status_code == 200
    html = response.content.decode()
    article = html.split('<article class="methodologie">', 1)[1].split("</article>", 1)[0]
    text = re.sub(r"<[^>]+>", " ", article)
    for needle in (
        "bench/",
        "/usr/bin/time",
        "Décision (",
        "DESIGN.md",
        "src/terrinum",
        "cProfile",
        "taskset",
        "ticket",
        "<code>",
        "GEOS",
        "État :",
        "terrinum ",
        "Polars",
        "DuckDB",
        "STRtree",
    ):
        assert needle not in article, needle
    assert not re.findall(r"\s--[a-z]|\b[a-z]+_[a-z0-9_]+\b", text), re.findall(r"\s--[a-z]+|\b[a-z]+_[a-z0-9_]+\b", text)[:5]


def test_home_page_describes_what_is_there(client):
    html = client.get("/").content.decode()
    assert "référentiel territorial aujourd'hui" not in html  # out of date since the observatory
    assert "connectivité fixe et mobile" in html and "fragilité numérique" in html


def test_long_sub_territory_tables_are_folded_and_open_when_sorted(client):
    """The Creuse page opened on two 255-row tables: they are folded (no JavaScript needed),
    and open again after a click on a sorting header."""
    html = client.get("/territoires/departement/23/").content.decode()
    assert '<details class="long"><summary>Afficher les 255 communes</summary>' in html
    sorted_html = client.get("/territoires/departement/23/", {"tri": "nom", "ordre": "asc"}).content.decode()
    assert '<details class="long" open><summary>Afficher les 255 communes</summary>' in sorted_html
    assert "<details" not in client.get("/territoires/region/94/").content.decode()  # Corse: 2 départements


def test_pages_are_kept_for_visitors_and_for_signed_in_users_but_their_account_part(client, monkeypatch):
    """A visitor's territory page is kept whole (per URL, data version, registry state and
    day); a signed-in user gets the kept page with the account part of the navigation
    rendered for them (links, logout form and its token), which is what a full render gives."""
    from django.contrib.auth.models import User

    from terrinum.diagnostic import report
    from terrinum.web import publies

    publies.PAGES.items.clear()
    publies.KEPT_PATHS.clear()
    calls = []
    real = report.compose
    monkeypatch.setattr(report, "compose", lambda *a, **k: calls.append(1) or real(*a, **k))
    first = client.get("/territoires/departement/23/").content
    assert client.get("/territoires/departement/23/").content == first and len(calls) == 1
    client.get("/territoires/departement/23/?tri=population&ordre=desc")
    assert len(calls) == 2  # another URL, another page
    client.force_login(User.objects.create_user("lecteur", password="x"))
    signed_in = client.get("/territoires/departement/23/").content.decode()
    assert len(calls) == 2  # the kept page, with the reader's account part
    assert "Se déconnecter" in signed_in and "csrfmiddlewaretoken" in signed_in and "Se connecter<" not in signed_in
    publies.PAGES.items.clear()
    fresh = client.get("/territoires/departement/23/").content.decode()
    assert len(calls) == 3  # none kept: rendered, and the visitor's version kept from it

    def tokenless(html):
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)

    assert tokenless(fresh) == tokenless(signed_in)  # the same page as rendered for the reader
    client.logout()
    assert client.get("/territoires/departement/23/").content == first and len(calls) == 3


def test_a_kept_visitor_page_is_served_before_the_session_layers_with_its_headers(client, django_assert_max_num_queries):
    """Served again to a request without session cookie: the same bytes and the headers the
    inner layers gave it (content security policy, frame options), with only the key's queries
    (`change_stamp`, at most 3: the test below)."""
    first = client.get("/territoires/commune/23096/")
    with django_assert_max_num_queries(3):
        again = client.get("/territoires/commune/23096/")
    assert again.content == first.content and again["Vary"] == "Accept-Encoding, Cookie"
    for name in ("Content-Security-Policy", "X-Frame-Options", "Content-Type"):
        assert again[name] == first[name], name
    assert "default-src 'self'" in again["Content-Security-Policy"]


def test_a_kept_visitor_page_is_compressed_once_and_its_key_costs_one_query(client, django_assert_max_num_queries):
    """The Creuse page is 996 KB of HTML for visitors: kept compressed (295 KB); the key of a
    kept page (the change stamp) took fourteen queries on every visitor's request."""
    import gzip

    from terrinum.pillars import change_stamp

    plain = client.get("/territoires/commune/23096/")
    packed = client.get("/territoires/commune/23096/", HTTP_ACCEPT_ENCODING="gzip, br")
    assert packed["Content-Encoding"] == "gzip" and gzip.decompress(packed.content) == plain.content
    assert "Accept-Encoding" in packed["Vary"] and len(packed.content) < len(plain.content) / 2
    with django_assert_max_num_queries(3):
        change_stamp()


def test_the_change_stamp_follows_what_is_not_a_count():
    """The stamp's row queries (plain SQL): a public register's DPO designation, a register
    made public, a zone's decision changed with the same counts — each makes a new stamp."""
    from terrinum.accounts.models import Organisation
    from terrinum.apps.rgpd.models import Collectivite
    from terrinum.apps.signalements.models import Zone
    from terrinum.pillars import change_stamp

    org = Organisation.objects.create(nom="Commune de Signy-l'Abbaye", type=Organisation.COLLECTIVITE)
    register = Collectivite.objects.create(organisation=org, categorie=Collectivite._meta.get_field("categorie").choices[0][0], insee="08419")
    zone = Zone.objects.create(departement_code="08", numero=1, distance_m=500, score=1.0)
    stamps = [change_stamp()]
    for change in (
        lambda: Collectivite.objects.filter(pk=register.pk).update(registre_public=True),
        lambda: Collectivite.objects.filter(pk=register.pk).update(dpo_designation_cnil="DPO-12345"),
        lambda: Zone.objects.filter(pk=zone.pk).update(decision=Zone.DECISIONS[-1][0]),
    ):
        change()
        stamps.append(change_stamp())
    assert len(set(stamps)) == 4
    assert change_stamp() == stamps[-1]  # and nothing else moves it
