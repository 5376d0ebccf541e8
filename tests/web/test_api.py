"""The /api/v1 JSON API on the real reference."""

import pytest

pytestmark = pytest.mark.django_db


def test_the_served_schema_is_the_committed_snapshot(client):
    """docs/openapi.json is the public API as committed: a change of a route, a parameter or
    a field shows in review (regenerate with scripts/openapi-doc.py)."""
    import json
    from pathlib import Path

    served = json.dumps(client.get("/api/v1/openapi.json").json(), ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    committed = (Path(__file__).resolve().parents[2] / "docs" / "openapi.json").read_text(encoding="utf-8")
    assert served == committed, "le schéma de l'API a changé : relancez scripts/openapi-doc.py et relisez le changement"


def test_openapi_schema_lists_the_routes(client):
    schema = client.get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    for p in [
        "/api/v1/territoires/recherche",
        "/api/v1/territoires/suggestions",
        "/api/v1/territoires/{niveau}/{code}",
        "/api/v1/territoires/{niveau}/{code}/enfants",
        "/api/v1/territoires/{niveau}/{code}/geometrie",
    ]:
        assert p in paths


def test_territory_by_code(client):
    d = client.get("/api/v1/territoires/commune/23096").json()
    assert d["nom"] == "Guéret" and d["epci"]["code"] == "200034825"
    assert d["departement"] == "23" and d["region"] == "75"
    assert isinstance(d["population"], int) and isinstance(d["superficie_km2"], float)


def test_unknown_territory_is_a_json_404(client):
    r = client.get("/api/v1/territoires/commune/99999")
    assert r.status_code == 404 and "99999" in r.json()["detail"]


def test_bad_level_is_rejected(client):
    assert client.get("/api/v1/territoires/canton/23").status_code == 422


def test_search(client):
    d = client.get("/api/v1/territoires/recherche", {"q": "saint-denis"}).json()
    assert d["statut"] == "ambigu" and d["candidats"][0]["code"] == "97411"
    d = client.get("/api/v1/territoires/recherche", {"q": "Signy l Abbaye"}).json()
    assert d["statut"] == "trouve" and d["territoire"]["code"] == "08419"


@pytest.mark.parametrize("q", ["", "   "])
def test_empty_search_is_refused_as_the_schema_says(client, q):
    """The schema says q holds a non-space character: an empty one is a 422, documented."""
    r = client.get("/api/v1/territoires/recherche", {"q": q})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "q"]
    assert client.get("/api/v1/territoires/recherche").status_code == 422


def test_too_long_search_is_422(client):
    assert client.get("/api/v1/territoires/recherche", {"q": "x" * 500}).status_code == 422


def test_suggestions(client):
    items = client.get("/api/v1/territoires/suggestions", {"q": "signy"}).json()
    assert 1 < len(items) <= 10 and "08419" in [i["code"] for i in items]
    assert client.get("/api/v1/territoires/suggestions").status_code == 422


def test_children(client):
    items = client.get("/api/v1/territoires/epci/240800862/enfants").json()
    assert "08419" in [i["code"] for i in items]
    assert all(i["niveau"] == "commune" for i in items)


def test_geometry_geojson_with_tolerance(client):
    full = client.get("/api/v1/territoires/departement/23/geometrie", {"tolerance": 0}).json()
    simple = client.get("/api/v1/territoires/departement/23/geometrie", {"tolerance": 0.01}).json()
    assert full["type"] == "Feature" and full["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert len(str(simple["geometry"]["coordinates"])) < len(str(full["geometry"]["coordinates"]))
    assert client.get("/api/v1/territoires/departement/23/geometrie", {"tolerance": "abc"}).status_code == 422
    assert client.get("/api/v1/territoires/departement/23/geometrie", {"tolerance": 5}).status_code == 422


def test_api_documentation_works_offline(client):
    """The documentation page is written by the server in French from the schema (Swagger
    UI's labels were English, and axe found six violations on it); nothing comes from
    another host."""
    import re

    html = client.get("/api/v1/docs").content.decode()
    assert "Documentation de l'API Terrinum" in html and "/api/v1/openapi.json" in html
    assert "Paramètres de GET /api/v1/connectivite-fixe/{niveau}" in html and "au plus 2000" in html  # a page's limit, in words
    assert "swagger" not in html.lower()
    assert not re.search(r"(src|href)=\"(https?:)?//", html), "la documentation de l'API charge un fichier d'un autre hôte"
    for asset in re.findall(r"(?:src|href)=\"(/static/[^\"]+)\"", html):
        response = client.get(asset)
        assert response.status_code == 200, asset
        response.close()


def test_an_unexpected_api_error_is_json(caplog):
    """Errors from /api/ were Django's HTML 500 page."""
    from ninja import Router
    from ninja.testing import TestClient

    from terrinum.web.api import build_api

    api = build_api("essai-erreur")
    broken = Router()

    @broken.get("/panne")
    def panne(request):
        raise RuntimeError("panne simulée")

    api.add_router("/essai", broken)
    response = TestClient(api).get("/essai/panne")
    assert response.status_code == 500 and "Erreur interne" in response.json()["detail"]
    assert "panne simulée" not in response.content.decode()  # no internals to the client
    assert "panne simulée" in caplog.text  # but in the server's log


def test_the_server_error_page_is_french(rf):
    from django.views.defaults import server_error

    html = server_error(rf.get("/")).content.decode()
    assert "Une erreur est survenue" in html and "Server Error" not in html


@pytest.mark.parametrize("path", ["/api/v1/connectivite-fixe/commune", "/api/v1/fragilite/commune", "/api/v1/connectivite-mobile/commune"])
def test_lists_come_in_bounded_pages_that_add_up_to_the_table(client, demo_warehouse, path):
    """Concatenated pages equal the whole table; the page size has a maximum."""
    from terrinum.pillars.http import PAGE_MAX

    first = client.get(path, {"territoire": "23"}).json()
    total = first["count"]
    assert 255 <= total <= len(first["items"]) + 10_000
    pages, offset = [], 0
    while offset < total:
        page = client.get(path, {"territoire": "23", "limit": 100, "offset": offset}).json()
        assert page["count"] == total and len(page["items"]) <= 100
        pages += page["items"]
        offset += 100
    whole = client.get(path, {"territoire": "23", "limit": PAGE_MAX}).json()["items"]
    assert pages == whole and len(pages) == total
    assert client.get(path, {"limit": PAGE_MAX + 1}).status_code == 422
    assert len(client.get(path).json()["items"]) <= 500  # the default page, whatever the table's size


@pytest.mark.parametrize("niveau, territoire", [("commune", "23"), ("departement", None), ("epci", "region:75")])
def test_published_tables_hold_the_rows_the_indicators_compute(client, demo_warehouse, niveau, territoire):
    """A list read from the table published with the version equals the pillar's rows
    computed on demand (the path of a request with non-default options)."""
    from terrinum.pillars import publication
    from terrinum.pillars.http import PAGE_MAX, within
    from terrinum.warehouse import store

    scope = within(territoire)
    with store.reader() as con:
        for table, indicators in publication.published().items():
            assert publication.available(con, table)
            computed = indicators.rows(con, niveau, scope)
            served = []
            while len(served) < len(computed) or not served:
                page = client.get(f"/api/v1/{table}/{niveau}", {"territoire": territoire or "", "limit": PAGE_MAX, "offset": len(served)}).json()
                assert page["count"] == len(computed), table
                served += page["items"]
                if not page["items"]:
                    break
            assert computed and served == [{k: r[k] for k in page["items"][0]} for r in computed], table


def test_a_request_with_an_option_gives_the_option_s_rows(client, demo_warehouse):
    """An operator is computed; another reference for the fragility index is read from the
    published rows (pillars.fragilite.compared_with): either way, the rows the pillar computes
    with that option, page after page."""
    from terrinum.pillars.fragilite import indicators as fr
    from terrinum.pillars.http import within
    from terrinum.warehouse import store

    one = client.get("/api/v1/connectivite-mobile/departement", {"operateur": "OF", "limit": 200}).json()
    assert one["count"] == 101 and {r["operateur"] for r in one["items"]} == {"OF"}
    ref = client.get("/api/v1/fragilite/departement", {"reference": "departement:23", "limit": 200}).json()
    creuse = next(r for r in ref["items"] if r["code"] == "23")
    assert creuse["reference"] == "departement:23" and creuse["ecart_reference"] == 0
    with store.reader() as con:
        computed = fr.indicator_rows(con, "commune", within=within("23"), reference="region:75")
    served = [
        row
        for offset in (0, 100, 200)
        for row in client.get("/api/v1/fragilite/commune", {"territoire": "23", "reference": "region:75", "limit": 100, "offset": offset}).json()["items"]
    ]
    assert len(computed) > 200 and served == [{k: r[k] for k in served[0]} for r in computed]


def test_a_page_beyond_any_table_is_refused_not_a_server_error(client, demo_warehouse):
    """Schemathesis found offsets of 10^23 rows: DuckDB's 64-bit OFFSET overflowed (HTTP 500)."""
    for url in ("/api/v1/connectivite-fixe/pays", "/api/v1/technologies/pays", "/api/v1/connectivite-mobile/departement"):
        assert client.get(url, {"offset": "530876126204417439432704"}).status_code == 422, url
        assert client.get(url, {"offset": "100000000"}).json()["items"] == []  # the bound itself: an empty page
