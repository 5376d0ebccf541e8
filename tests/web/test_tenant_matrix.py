"""The tenant matrix: every route of the URL configuration and every operation of the API
schema, requested by every role, on its own object and on another's. The routes are read
from the URL configuration and the schema, so a new route without a declared rule fails
here until its access rule is written in RULES.

Roles: anonymous; a member (read only) of the Creuse; the manager of the Guéret place; the
Creuse's admin; the Ardennes' admin; a superuser. Objects: the Guéret place (Creuse) and the
Signy place (Ardennes)."""

import re

import pytest
from django.contrib.auth.models import User
from django.urls import URLPattern, URLResolver, get_resolver

from terrinum.accounts.models import Membership, Organisation
from terrinum.apps.inclusion import services
from terrinum.apps.inclusion.models import Lieu
from terrinum.sources import lieux
from terrinum.web.api import api
from tests.apps.inclusion.factories import place, write_csv

pytestmark = pytest.mark.django_db
ROLES = ("anonyme", "membre23", "gestionnaire_gueret", "admin23", "admin08", "superutilisateur")
EDITORS_OF = {"gueret": {"gestionnaire_gueret", "admin23", "superutilisateur"}, "signy": {"admin08", "superutilisateur"}}

# Access rules by URL name: "public" (every role reads it), "connecte" (anonymous visitors go
# to the login page), "editeur" (the place's editors only; others 403, anonymous to login),
# "admin" (superuser only; others to the admin login), "post" (a form action, POST only).
PUBLIC_PAGES = {
    "accueil": "/", "recherche": "/recherche?q=Guéret", "france": "/france/", "connectivite-fixe": "/connectivite-fixe/",
    "methodologie": "/methodologie/fragilite", "territoire": "/territoires/departement/23/",
    "implantation": "/territoires/departement/23/implantation/", "lieux": "/lieux/?q=23000",
    "lieux-export": "/lieux/export?format=csv", "donnees": "/donnees/", "donnee": "/donnees/fragilite-departement.csv",
    "diagnostic": "/territoires/departement/23/diagnostic/", "schema-directeur": "/territoires/departement/23/schema-directeur/", "diagnostic-pdf": "/territoires/epci/240800862/diagnostic.pdf", "lieu": "/lieux/{gueret}/", "connexion": "/connexion/", "besoins": "/faire-le-point/",
    "openapi-json": "/api/v1/openapi.json", "openapi-view": "/api/v1/docs", "api-root": None, "favicon": "/favicon.ico",
}  # fmt: skip
RULES = {
    **dict.fromkeys(PUBLIC_PAGES, "public"),
    "mes-lieux": "connecte",
    # an account's Pass numérique page and a statement: per role and object in tests/apps/pass_numerique
    "pass-numerique": "connecte",
    "pass-numerique-releve": "connecte",
    "pass-numerique-releve-pdf": "connecte",
    # a place's document (the place, the funders it applied to) and a funder's payment files
    # (its own accounts): tests/apps/pass_numerique/test_paiement.py
    # the targeted-coverage follow-up across France (project teams only):
    # tests/apps/signalements/test_suivi.py
    "couverture-france": "connecte",
    "couverture-photo": "connecte",
    "pass-numerique-piece": "connecte",
    "pass-numerique-paiement": "connecte",
    # an operator's invoice (its issuer's and its client's accounts only):
    # tests/apps/pass_numerique/test_factures.py
    "pass-numerique-facture": "connecte",
    # a programme's campaign report (its funder's and operator's accounts):
    # tests/apps/pass_numerique/test_rapport.py
    "pass-numerique-rapport": "connecte",
    # the RGPD pages: every role × page × own/other collectivité in tests/apps/rgpd
    "rgpd": "connecte",
    "rgpd-collectivite": "connecte",
    "rgpd-activite-nouvelle": "connecte",
    "rgpd-activite": "connecte",
    "rgpd-export": "connecte",
    # an impact analysis and its export for the CNIL's PIA tool: tests/apps/rgpd/test_aipd.py
    "rgpd-aipd": "connecte",
    "rgpd-aipd-export": "connecte",
    # the DPO's annual reports: tests/apps/rgpd/test_rapport_annuel.py
    "rgpd-rapport-annuel": "connecte",
    "rgpd-rapport-structure": "connecte",
    # the structure's registers in Madis's columns: tests/apps/rgpd/test_madis.py
    "rgpd-madis-export": "connecte",
    # a proof's document (the collectivité's readers): tests/apps/rgpd/test_preuves.py
    "rgpd-preuve": "connecte",
    # a structure's maturity référentiel (the packaged one to any account; its own to its DPO):
    # tests/apps/rgpd/test_maturite.py
    "rgpd-referentiel": "connecte",
    "rgpd-notification": "connecte",
    # public only once its collectivité publishes it (404 before): tests/apps/rgpd
    "registre-public": "public",
    # the shared diagnostic: lead, participant (account or link), other territory in tests/web/test_partage.py
    "partage": "connecte",
    "partage-demarche": "connecte",
    "partage-pdf": "connecte",
    "partage-plan": "connecte",
    "partage-public": "public",
    "contribuer": "public",
    # coverage reports: every role × own/other report, team page, decision, export in tests/apps/signalements
    "couverture": "connecte",
    "couverture-signaler": "connecte",
    "couverture-signalement": "connecte",
    "couverture-departement": "connecte",
    "couverture-export": "connecte",
    # open data (Arcep, per building), 404 until a per-building import: tests/pillars/test_technologies.py
    "immeubles-sans-thd": "public",
    "lieu-modifier": "editeur",
    "deconnexion": "post",
}
API_RULE = "public"  # every API operation reads open data, except those of ACCOUNT_API
# The Pass numérique's operations: an account is required (401 without); what each account
# sees or does is tested object by object in tests/apps/pass_numerique (funder, prescriber,
# place, other place, other funder).
ACCOUNT_API = {("get", "/api/v1/pass-numerique/cheques/{code}"), ("post", "/api/v1/pass-numerique/cheques/{code}/utilisation"),
               ("get", "/api/v1/pass-numerique/programmes"), ("get", "/api/v1/pass-numerique/reglements"),
               # the RGPD registers: role × operation × collectivité in tests/apps/rgpd
               ("get", "/api/v1/rgpd/collectivites"), ("get", "/api/v1/rgpd/collectivites/{pk}/activites"),
               ("get", "/api/v1/rgpd/collectivites/{pk}/demandes"), ("post", "/api/v1/rgpd/collectivites/{pk}/demandes"),
               ("get", "/api/v1/rgpd/collectivites/{pk}/violations"), ("post", "/api/v1/rgpd/collectivites/{pk}/violations"),
               # the shared diagnostic: lead, participant, other territory in tests/web/test_partage.py
               ("get", "/api/v1/diagnostic-partage/demarches"), ("get", "/api/v1/diagnostic-partage/demarches/{pk}/contributions"),
               ("get", "/api/v1/diagnostic-partage/demarches/{pk}/consolidation"), ("get", "/api/v1/diagnostic-partage/demarches/{pk}/actions"),
               # the coverage reports: collectivité, project team, other département in tests/apps/signalements
               ("get", "/api/v1/couverture/departements/{code}/zones"), ("get", "/api/v1/couverture/signalements/{pk}")}  # fmt: skip


def _walk(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p.name


@pytest.fixture
def world(tmp_path, client):
    rows = [
        place(id="gueret"),
        place(id="signy", nom="Espace numérique de Signy", code_insee="08419", code_postal="08460", commune="Signy-l'Abbaye",
              latitude="49.699", longitude="4.418", adresse="Place de l'Hôtel de ville"),
    ]  # fmt: skip
    services.import_parsed(lieux.parse_standard(write_csv(tmp_path / "l.csv", rows)), "l.csv", "test")
    places = {lieu.identifiant: lieu for lieu in Lieu.objects.all()}
    creuse = Organisation.objects.create(nom="Creuse", type=Organisation.COLLECTIVITE, territoire_niveau="departement", territoire_code="23")
    ardennes = Organisation.objects.create(nom="Ardennes", type=Organisation.COLLECTIVITE, territoire_niveau="departement", territoire_code="08")
    structure = Organisation.objects.create(nom="Lieu de Guéret", type=Organisation.LIEU)
    places["gueret"].organisation = structure
    places["gueret"].save()
    users = {"anonyme": None, "superutilisateur": User.objects.create_superuser("super", password="x")}
    for name, org, role in [("membre23", creuse, Membership.MEMBRE), ("gestionnaire_gueret", structure, Membership.GESTIONNAIRE),
                            ("admin23", creuse, Membership.ADMIN), ("admin08", ardennes, Membership.ADMIN)]:  # fmt: skip
        users[name] = User.objects.create_user(name, password="x")
        Membership.objects.create(user=users[name], organisation=org, role=role)
    return places, users


def _as(client, users, role):
    client.logout()
    if users[role] is not None:
        client.force_login(users[role])


def test_every_route_has_a_declared_rule():
    """A new route fails here until its access rule is declared (RULES, API_RULE, admin)."""
    names = {name or path for path, name in _walk(get_resolver().url_patterns) if not path.startswith(("admin/", "api/v1/"))}
    names.add("api-root")
    names |= {"openapi-json", "openapi-view"}
    undeclared = names - set(RULES) - {"favicon.ico"}
    assert not undeclared, f"routes sans règle d'accès déclarée : {sorted(undeclared)}"
    operations = {op["operationId"] for ops in api.get_openapi_schema()["paths"].values() for op in ops.values()}
    assert operations, "the API schema lists its operations"
    for path, ops in api.get_openapi_schema()["paths"].items():
        for method in ops:
            assert method == "get" or (method, path) in ACCOUNT_API, f"an API write needs its own rule: {method} {path}"


def test_public_pages_and_api_for_every_role(client, world, demo_warehouse):
    places, users = world
    schema = api.get_openapi_schema()
    api_urls = []
    accounts_only = []
    for path, ops in schema["paths"].items():
        if any((method, path) in ACCOUNT_API for method in ops):
            accounts_only += [(method, path.replace("{code}", "0000000000000").replace("{pk}", "0")) for method in ops]
            continue
        url = path.replace("{niveau}", "departement").replace("{code}", "23").replace("{pk}", str(places["gueret"].pk))
        url += "?q=Guéret" if url.endswith(("recherche", "suggestions", "/lieux")) else ""
        api_urls.append(url + ("?type=demande&depuis=2025-01-31T10:00" if url.endswith("/rgpd/echeance") else ""))
    covered = 0
    for role in ROLES:
        _as(client, users, role)
        for name, url in PUBLIC_PAGES.items():
            if url is None:
                continue
            response = client.get(url.format(gueret=places["gueret"].pk))
            status = response.status_code
            if response.streaming:  # a file answer holds its file open until read to the end
                b"".join(response.streaming_content)
            assert status in (200, 301, 302), (role, name, status)
            covered += 1
        for url in api_urls:
            status = client.get(url).status_code
            assert status == 200, (role, url, status)
            covered += 1
        for method, url in accounts_only:  # no account: 401; an account reaches the rule of the object
            status = getattr(client, method)(url, content_type="application/json").status_code
            assert (status == 401) == (role == "anonyme"), (role, method, url, status)
            covered += 1
    assert covered == len(ROLES) * (len([u for u in PUBLIC_PAGES.values() if u]) + len(api_urls) + len(accounts_only))
    assert len(accounts_only) == len(ACCOUNT_API)


def test_editing_a_place_own_and_other_for_every_role(client, world):
    places, users = world
    for role in ROLES:
        for key, lieu in places.items():
            _as(client, users, role)
            url = f"/lieux/{lieu.pk}/modifier"
            data = {name: getattr(lieu, name) or "" for name in services.EDITABLE_FIELDS if name not in lieux.enumerations()}
            get, post = client.get(url), client.post(url, {**data, "telephone": "+33555000000"})
            lieu.refresh_from_db()
            if role == "anonyme":
                assert get.status_code == post.status_code == 302 and "/connexion/" in get["Location"], (role, key)
            elif role in EDITORS_OF[key]:
                assert get.status_code == 200 and post.status_code == 302, (role, key, get.status_code, post.status_code)
                assert lieu.telephone == "+33555000000"
            else:
                assert get.status_code == post.status_code == 403, (role, key, get.status_code, post.status_code)
                assert lieu.telephone != "+33555000000"
            Lieu.objects.filter(pk=lieu.pk).update(telephone="")
            lieu.refresh_from_db()


def test_my_places_lists_only_what_each_role_may_edit(client, world):
    places, users = world
    for role in ROLES:
        _as(client, users, role)
        response = client.get("/mes-lieux/")
        if role == "anonyme":
            assert response.status_code == 302 and "/connexion/" in response["Location"]
            continue
        html = response.content.decode()
        shown = {key for key, lieu in places.items() if f"/lieux/{lieu.pk}/modifier" in html}
        assert shown == {key for key, editors in EDITORS_OF.items() if role in editors}, (role, shown)


def test_administration_is_for_the_superuser_only(client, world):
    """Every admin page of every registered model, and the object pages of both places."""
    from django.contrib import admin
    from django.test import RequestFactory

    places, users = world
    request = RequestFactory().get("/admin/")
    request.user = users["superutilisateur"]
    urls = ["/admin/"]
    for model, model_admin in admin.site._registry.items():
        base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        urls += [base] + ([base + "add/"] if model_admin.has_add_permission(request) else [])  # login logs are read only
    for lieu in places.values():
        urls += [f"/admin/inclusion/lieu/{lieu.pk}/change/", f"/admin/inclusion/lieu/{lieu.pk}/delete/", f"/admin/inclusion/lieu/{lieu.pk}/history/"]
    for role in ROLES:
        _as(client, users, role)
        for url in urls:
            response = client.get(url)
            if role == "superutilisateur":
                assert response.status_code == 200, (url, response.status_code)
            else:
                assert response.status_code == 302 and re.search(r"/admin/login/", response["Location"]), (role, url, response.status_code)
    assert len(urls) > 10


def test_logout_is_a_post_only_action(client, world):
    _, users = world
    _as(client, users, "admin23")
    assert client.get("/deconnexion/").status_code == 405
    assert client.post("/deconnexion/").status_code == 302


# Per field: who may give a local label, move a place to another commune of the same
# département, or out of it (a place's own account does none of these; the Pass numérique
# label is no form field at all: the funders qualify places, tests/apps/pass_numerique).
LABEL_GIVERS = {"gueret": {"admin23", "superutilisateur"}, "signy": {"admin08", "superutilisateur"}}
MOVES = {
    # place -> (commune of the same département, commune of another département)
    "gueret": (
        {"code_insee": "23176", "code_postal": "23300", "commune": "La Souterraine"},
        {"code_insee": "08419", "code_postal": "08460", "commune": "Signy-l'Abbaye"},
    ),
    "signy": ({"code_insee": "08362", "code_postal": "08300", "commune": "Rethel"}, {"code_insee": "23096", "code_postal": "23000", "commune": "Guéret"}),
}


def test_labels_and_commune_of_a_place_per_role_and_field(client, world):
    places, users = world
    for role in ROLES[1:]:
        for key, lieu in places.items():
            if role not in EDITORS_OF[key]:
                continue  # refused as a whole (403) above
            _as(client, users, role)
            url = f"/lieux/{lieu.pk}/modifier"
            lieu.refresh_from_db()
            data = {name: getattr(lieu, name) or "" for name in services.EDITABLE_FIELDS if name not in lieux.enumerations()}
            client.post(url, {**data, "comptoir_numerique": "1", "pass_numerique": "1"})
            lieu.refresh_from_db()
            assert lieu.comptoir_numerique == (role in LABEL_GIVERS[key]), (role, key, "comptoir")
            assert not lieu.pass_numerique, (role, key, "pass")
            Lieu.objects.filter(pk=lieu.pk).update(comptoir_numerique=False)
            home = lieu.commune_code
            for target, allowed in ((MOVES[key][0], role in LABEL_GIVERS[key]), (MOVES[key][1], role == "superutilisateur")):
                response = client.post(url, {**data, **target, "latitude": "", "longitude": ""})
                lieu.refresh_from_db()
                assert (lieu.commune_code == target["code_insee"]) == allowed, (role, key, target, response.status_code)
                assert response.status_code == (302 if allowed else 400), (role, key, target)
                Lieu.objects.filter(pk=lieu.pk).update(
                    commune_code=home, code_insee=data["code_insee"], code_postal=data["code_postal"], commune=data["commune"]
                )
