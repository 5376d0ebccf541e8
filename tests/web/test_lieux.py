"""Finder, place pages, editing with roles enforced on the server, siting page, API."""

import pytest
from django.contrib.auth.models import User

from terrinum.accounts.models import Membership, Organisation
from terrinum.apps.inclusion import services
from terrinum.apps.inclusion.models import Lieu
from terrinum.sources import lieux
from tests.apps.inclusion.factories import place, write_csv

pytestmark = pytest.mark.django_db


@pytest.fixture
def registry(tmp_path):
    rows = [
        place(id="gueret"),
        place(
            id="signy",
            nom="Espace numérique de Signy",
            code_insee="08419",
            code_postal="08460",
            commune="Signy-l'Abbaye",
            latitude="49.699",
            longitude="4.418",
            adresse="Place de l'Hôtel de ville",
        ),
    ]
    services.import_parsed(lieux.parse_standard(write_csv(tmp_path / "l.csv", rows)), "l.csv", "test")
    return {lieu.identifiant: lieu for lieu in Lieu.objects.all()}


def test_finder_by_postal_code_without_javascript(client, registry):
    r = client.get("/lieux/", {"q": "23000"})
    html = r.content.decode()
    assert r.status_code == 200
    assert "Lieux les plus proches de Guéret" in html and "Médiathèque du Grand Guéret" in html
    assert html.index("Médiathèque du Grand Guéret") < html.index("Espace numérique de Signy")
    assert "<svg" in html and "<script" not in html.split("</main>")[0]
    assert "Aide aux démarches administratives" in html


def test_finder_by_address_text_and_unknown(client, registry):
    html = client.get("/lieux/", {"q": "2 rue Alexandre Guillon, Guéret"}).content.decode()
    assert "Lieux les plus proches de Guéret" in html
    r = client.get("/lieux/", {"q": "zzzqqq"})
    assert r.status_code == 404 and "Aucune commune" in r.content.decode()


def test_place_page_shows_provenance(client, registry):
    html = client.get(f"/lieux/{registry['gueret'].pk}/").content.decode()
    assert "Fichier test" in html and "Modifier ce lieu" not in html


def _manager(registry):
    org = Organisation.objects.create(nom="Médiathèque de Guéret", type=Organisation.LIEU)
    Lieu.objects.filter(pk=registry["gueret"].pk).update(organisation=org)
    user = User.objects.create_user("conseillere", password="x")
    Membership.objects.create(user=user, organisation=org, role=Membership.GESTIONNAIRE)
    return user


def test_editing_is_enforced_on_the_server(client, registry):
    url = f"/lieux/{registry['signy'].pk}/modifier"
    assert client.get(url).status_code == 302  # anonymous: to the login page
    assert client.post(url, {"nom": "Piraté"}).status_code == 302
    client.force_login(_manager(registry))
    assert client.get(url).status_code == 403
    assert client.post(url, {"nom": "Piraté"}).status_code == 403
    assert Lieu.objects.get(identifiant="signy").nom == "Espace numérique de Signy"


def test_place_manager_edits_her_place_but_not_its_labels(client, registry):
    client.force_login(_manager(registry))
    lieu = registry["gueret"]
    url = f"/lieux/{lieu.pk}/modifier"
    form = client.get(url)
    assert form.status_code == 200 and 'name="pass_numerique"' not in form.content.decode() and 'name="comptoir_numerique"' not in form.content.decode()
    data = {name: getattr(lieu, name) or "" for name in services.EDITABLE_FIELDS if name not in lieux.enumerations()}
    data.update(
        {
            "horaires": "Mo-Sa 09:00-18:00",
            "pass_numerique": "1",
            "comptoir_numerique": "1",
            "services": ["Aide aux démarches administratives", "Accès internet et matériel informatique"],
        }
    )
    r = client.post(url, data)  # labels forged into the form are not read
    assert r.status_code == 302
    lieu.refresh_from_db()
    assert not lieu.pass_numerique and not lieu.comptoir_numerique and lieu.horaires == "Mo-Sa 09:00-18:00"
    assert lieu.services == "Aide aux démarches administratives|Accès internet et matériel informatique"
    assert lieu.changements.first().auteur.username == "conseillere"
    bad = client.post(url, {**data, "horaires": "le matin", "telephone": "+33555000000"})
    assert bad.status_code == 400 and "opening_hours" in bad.content.decode()
    assert 'value="+33555000000"' in bad.content.decode()  # what was typed is kept
    moved = client.post(url, {**data, "code_insee": "08419", "code_postal": "08460", "commune": "Signy-l'Abbaye"})
    assert moved.status_code == 400 and "seule la collectivité" in moved.content.decode()
    lieu.refresh_from_db()
    assert lieu.commune_code == "23096"
    assert "Espace numérique de Signy" not in client.get("/mes-lieux/").content.decode()


def test_territory_pages_show_places_and_siting_page_runs(client, registry):
    html = client.get("/territoires/commune/23096/").content.decode()
    assert "Lieux d'accompagnement au numérique" in html and "Médiathèque du Grand Guéret" in html
    html = client.get("/territoires/departement/23/").content.decode()
    assert "Habitants à plus de 10 km" in html and "/territoires/departement/23/implantation/" in html
    r = client.get("/territoires/epci/240800862/implantation/", {"nouveaux": 2, "rayon": 10, "poids": "population"})
    html = r.content.decode()
    assert r.status_code == 200 and "Nouveaux lieux proposés" in html and html.count("Mairie de ") >= 2
    r = client.get("/territoires/epci/240800862/implantation/", {"nouveaux": 2, "poids": "fragilite"})
    assert r.status_code == 400 and "fragilité" in r.content.decode()  # no fragility data in this database's warehouse


def test_api_nearest_and_export(client, registry):
    found = client.get("/api/v1/lieux", {"q": "08460", "limite": 1}).json()
    assert found[0]["id"] == "signy" and found[0]["distance_km"] < 1
    assert client.get("/api/v1/lieux", {"q": "zzzqqq"}).status_code == 404
    csv = client.get("/lieux/export", {"format": "csv"}).content.decode()
    assert csv.splitlines()[0].startswith("id,pivot,nom,commune") and len(csv.splitlines()) == 3


def test_empty_registry_speaks_to_citizens_not_in_command_lines(client, admin_client):
    """A citizen is told whom to ask; only an administrator sees the import commands; the map
    caption mentions no list when there is none."""
    html = client.get("/lieux/", {"q": "23000"}).content.decode()
    main = html[html.index("<main") : html.index("</main>")]
    assert "Aucun lieu d'accompagnement n'est encore enregistré" in main and "mairie" in main
    assert "terrinum ingest" not in main and "<code>" not in main
    assert "numérotés comme dans la liste" not in html
    assert "terrinum ingest lieux-mediation" in admin_client.get("/lieux/").content.decode()


def test_every_commune_of_a_postal_code_is_offered(client, registry):
    from terrinum.territories.models import CodePostal

    html = client.get("/lieux/", {"q": "23000"}).content.decode()
    others = html[html.index("Ce code correspond aussi à") :].split("</p>")[0]
    assert others.count('href="?q=') == CodePostal.objects.filter(code="23000").count() - 1 >= 10


def test_siting_link_shows_even_with_an_empty_registry(client):
    """The README promises the siting page on every territory page: it was hidden while the
    registry was empty (the computation then starts from no existing place)."""
    html = client.get("/territoires/epci/240800862/").content.decode()
    assert "/territoires/epci/240800862/implantation/" in html and "part de zéro" in html
    assert "importez" not in html  # no operator instruction on a public page


def test_an_area_admin_cannot_move_a_place_out_of_its_territory(client, registry):
    """The policy judges the place after the change too: the Ardennes' admin moved one of its
    places into the Creuse by editing its code_insee, and the Creuse's admin got it."""
    ardennes = Organisation.objects.create(
        nom="Département des Ardennes", type=Organisation.COLLECTIVITE, territoire_niveau="departement", territoire_code="08"
    )
    admin08 = User.objects.create_user("admin08", password="x")
    Membership.objects.create(user=admin08, organisation=ardennes, role=Membership.ADMIN)
    client.force_login(admin08)
    lieu = registry["signy"]
    url = f"/lieux/{lieu.pk}/modifier"
    data = {name: getattr(lieu, name) or "" for name in services.EDITABLE_FIELDS if name not in lieux.enumerations()}
    logged = lieu.changements.count()
    moved = client.post(url, {**data, "code_insee": "23096", "code_postal": "23000", "commune": "Guéret", "latitude": "46.1713", "longitude": "1.8713"})
    assert moved.status_code == 400 and "sortirait de votre territoire" in moved.content.decode()
    lieu.refresh_from_db()
    assert lieu.commune_code == "08419" and lieu.code_insee == "08419" and lieu.changements.count() == logged
    renamed = client.post(url, {**data, "nom": "Espace numérique de Signy-l'Abbaye"})  # inside its territory: allowed
    assert renamed.status_code == 302


@pytest.fixture
def runs(monkeypatch) -> list:
    """The time limit of every siting solve, in order (the solver itself still runs)."""
    from terrinum.planning import siting as solver

    calls = []
    real = solver.solve

    def counting(*args, **kwargs):
        calls.append(kwargs.get("time_limit"))
        return real(*args, **kwargs)

    monkeypatch.setattr(solver, "solve", counting)
    return calls


def test_costly_siting_is_bounded_kept_and_rate_limited(client, registry, runs):
    """A région or France needs an account; a result is kept (asking again does not solve
    again); a visitor without account may start a few runs a minute."""
    from terrinum.planning import proposal
    from terrinum.web import views

    proposal.SITING_CACHE.items.clear()
    views._SITING_RUNS.clear()
    france = client.get("/territoires/pays/FR/implantation/", {"nouveaux": 20, "rayon": 5})
    assert france.status_code == 403 and "réservé aux comptes" in france.content.decode() and runs == []
    query = {"nouveaux": 1, "rayon": 10, "poids": "population"}
    assert client.get("/territoires/epci/240800862/implantation/", query).status_code == 200
    assert client.get("/territoires/epci/240800862/implantation/", query).status_code == 200
    assert runs == [proposal.SITING_SECONDS]  # solved once, within the request's time limit
    statuses = [client.get("/territoires/epci/240800862/implantation/", {**query, "rayon": r}).status_code for r in range(11, 11 + views.SITING_RATE)]
    assert statuses[-1] == 429 and statuses.count(200) == views.SITING_RATE - 1
    assert client.get("/territoires/epci/240800862/implantation/", query).status_code == 200  # a kept result is still served


def test_a_region_run_goes_through_the_job_queue(client, registry, runs):
    """With an account, a région's run is a job: the request only queues it (no solving),
    the page shows its progress; the worker runs it; the same page then shows the result;
    asking again reuses the job."""
    from terrinum.planning import jobs as travaux
    from terrinum.planning.models import CalculImplantation

    client.force_login(User.objects.create_user("analyste", password="x"))
    query = {"nouveaux": 2, "rayon": 10, "poids": "population"}
    waiting = client.get("/territoires/region/94/implantation/", query)
    html = waiting.content.decode()
    assert waiting.status_code == 200 and runs == [] and "Calcul en attente" in html and "calcul.js" in html
    job = CalculImplantation.objects.get()
    assert job.statut == job.EN_ATTENTE and job.niveau == "region" and job.code == "94"
    assert travaux.work(once=True) == 1
    job.refresh_from_db()
    assert job.statut == job.TERMINE and job.etapes_faites == travaux.STAGES and runs == [travaux.JOB_SECONDS]
    done = client.get("/territoires/region/94/implantation/", query).content.decode()
    assert "Nouveaux lieux proposés" in done and "<svg" in done and "Calcul en" not in done
    assert CalculImplantation.objects.count() == 1 and runs == [travaux.JOB_SECONDS]  # not run again


def test_job_queue_limits_unfinished_jobs_and_requeues_an_interrupted_one(client, registry, monkeypatch):
    from terrinum.planning import jobs as travaux
    from terrinum.planning.models import CalculImplantation

    client.force_login(User.objects.create_user("analyste", password="x"))
    for rayon in range(10, 10 + travaux.PER_USER):
        assert client.get("/territoires/region/94/implantation/", {"nouveaux": 1, "rayon": rayon}).status_code == 200
    refused = client.get("/territoires/region/94/implantation/", {"nouveaux": 1, "rayon": 40})
    assert refused.status_code == 429 and "calculs en attente ou en cours" in refused.content.decode()

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(travaux, "run", interrupted)
    with pytest.raises(KeyboardInterrupt):
        travaux.work(once=True)
    assert CalculImplantation.objects.filter(statut=CalculImplantation.EN_ATTENTE).count() == travaux.PER_USER  # back in the queue
