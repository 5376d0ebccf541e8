"""The shared diagnostic's pages, by role: the lead, participants with an account or a link,
another territory's lead, anonymous visitors."""

import datetime as dt
import io
import re

import pytest
import time_machine
from django.contrib.auth.models import User
from django.utils import timezone

from terrinum.accounts.models import Membership, Organisation
from terrinum.apps.concertation import services
from terrinum.apps.concertation.models import Demarche

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def during_the_consultation():
    """The démarches of this module are open from 1 November to 31 December 2026: the clock is
    set inside that window (time-machine), so that no test depends on today's date."""
    with time_machine.travel(dt.datetime(2026, 11, 16, 9, 0, tzinfo=dt.UTC), tick=True):
        yield


@pytest.fixture
def world(demo_warehouse):
    orgs = {
        "cretes": Organisation.objects.create(
            nom="CC des Crêtes Préardennaises", type=Organisation.COLLECTIVITE, territoire_niveau="epci", territoire_code="240800862"
        ),
        "signy": Organisation.objects.create(
            nom="Commune de Signy-l'Abbaye", type=Organisation.COLLECTIVITE, territoire_niveau="commune", territoire_code="08419"
        ),
        "creuse": Organisation.objects.create(
            nom="Département de la Creuse", type=Organisation.COLLECTIVITE, territoire_niveau="departement", territoire_code="23"
        ),
    }
    users = {}
    for name, org in (("porteur", "cretes"), ("maire", "signy"), ("creuse", "creuse")):
        users[name] = User.objects.create_user(name, password="x")
        Membership.objects.create(user=users[name], organisation=orgs[org], role=Membership.GESTIONNAIRE)
    return orgs, users


def test_the_whole_process_by_role(client, world):
    orgs, users = world
    client.force_login(users["porteur"])
    answer = client.post("/diagnostic-partage/", {"porteur": orgs["cretes"].pk, "titre": "Crêtes 2026", "debut": "2026-11-01", "fin": "2026-12-31"})
    assert answer.status_code == 302
    d = Demarche.objects.get(titre="Crêtes 2026")
    url = f"/diagnostic-partage/{d.pk}/"
    client.post(url, {"action": "inviter-organisation", "organisation": orgs["signy"].pk})
    page = client.post(url, {"action": "inviter-lien", "nom": "Médiathèque de Signy", "email": ""}).content.decode()
    token = re.search(r"/contribuer/([A-Za-z0-9_-]+)/", page).group(1)
    client.post(url, {"action": "statut", "statut": "consultation"})
    # another territory's lead and anonymous visitors see nothing
    client.force_login(users["creuse"])
    assert client.get(url).status_code == 404 and client.get(f"{url}plan.csv").status_code == 404
    client.logout()
    assert client.get(url).status_code == 302
    # the mayor contributes from the démarche page, the library through its link
    client.force_login(users["maire"])
    assert "Votre contribution" in client.get(url).content.decode() and "Conduite de la démarche" not in client.get(url).content.decode()
    for theme, level in (("connectivite-mobile", 5), ("inclusion", 3)):
        assert (
            client.post(url, {"action": "contribuer", "theme": theme, "difficulte": level, "difficultes": "Hameaux sans réseau", "envoyer": "1"}).status_code
            == 200
        )
    assert client.post(url, {"action": "statut", "statut": "consolidation"}).status_code == 403
    client.logout()
    link = f"/contribuer/{token}/"
    assert "Votre contribution" in client.get(link).content.decode()
    posted = client.post(
        link,
        {
            "action": "contribuer",
            "theme": "connectivite-mobile",
            "difficulte": 4,
            "priorites": "Un pylône",
            "signalement_categorie": "zone-blanche",
            "signalement_commune": "08419",
            "signalement_description": "La Vallée",
            "envoyer": "1",
        },
    )
    assert posted.status_code == 200 and "contribution envoyée" in posted.content.decode() and posted["Referrer-Policy"] == "same-origin"
    assert client.get(f"/contribuer/{'x' * 43}/").status_code == 404
    # the lead consolidates, validates, plans
    client.force_login(users["porteur"])
    page = client.post(url, {"action": "statut", "statut": "consolidation"}).content.decode()
    assert "Consolidation" in page and "La Vallée" in page and "Un pylône" in page
    assert "Difficulté moyenne donnée par les acteurs" in page and "Lieux signalés par les acteurs" in page  # the chart and the map
    assert client.post(url, {"action": "valider"}).status_code == 200
    d.refresh_from_db()
    assert d.statut == "validee" and d.gel_pdf and d.gel["contributions"]
    pdf = client.get(f"{url}diagnostic-valide.pdf")
    import pypdf

    text = " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Crêtes 2026" in text and "Hameaux sans réseau" in text
    for n, (title, inv) in enumerate((("Conseillers numériques", "0"), ("Pylône de la Vallée", "200000"), ("Formation des élus", "5000"))):
        r = client.post(
            url,
            {
                "action": "action",
                "intitule": title,
                "porteur": "",
                "investissement": inv,
                "fonctionnement": "10 000",
                "debut": "2027-01-01",
                "fin": "2027-12-31",
                "indicateur": "part_4g" if n == 1 else "",
                "cible": "99,5",
                "date_cible": "2028-12-31",
            },
        )
        assert r.status_code == 200, r.content.decode()[:500]
    first = d.actions.get(intitule="Pylône de la Vallée")
    client.post(url, {"action": "financement", "action_id": first.pk, "financeur": "État (ANCT)", "annee": "2027", "montant": "150 000"})
    page = client.get(url).content.decode()
    assert "reste à financer : 85\u202f000 €" in page and "État (ANCT) 2027 : 150\u202f000 €" in page
    assert "4G d&#x27;au moins un opérateur : départ, aujourd" in page and "(départ)" in page  # the action's trajectory
    csv_text = client.get(f"{url}plan.csv").content.decode()
    assert csv_text.splitlines()[0].startswith("action,porteur") and "Pylône de la Vallée" in csv_text and len(csv_text.splitlines()) == 4
    first_pdf = bytes(d.gel_pdf)
    # published, then the public page; the PDF is the stored one
    assert client.get(f"/diagnostics-partages/{d.pk}/").status_code == 404
    client.post(url, {"action": "publier", "publier": "1"})
    client.logout()
    public = client.get(f"/diagnostics-partages/{d.pk}/").content.decode()
    assert "Crêtes 2026" in public and "un partenaire" in public and "Médiathèque de Signy" not in public  # the library did not consent to its name
    d.refresh_from_db()
    assert bytes(d.gel_pdf) == first_pdf
    # the API: the lead reads consolidation and actions; the mayor (participant) the actions only; the Creuse nothing
    from terrinum.accounts.services import issue_token

    def api(user, path):
        return client.get(f"/api/v1/diagnostic-partage/demarches{path}", headers={"Authorization": f"Bearer {issue_token(user)}"})

    assert [x["titre"] for x in api("porteur", "").json()] == ["Crêtes 2026"] and api("creuse", "").json() == []
    consolidation = api("porteur", f"/{d.pk}/consolidation").json()
    mobile = next(t for t in consolidation["themes"] if t["theme"] == "connectivite-mobile")
    assert mobile["reponses"] == 2 and mobile["niveaux"]["5"] == 1 and mobile["niveaux"]["4"] == 1
    assert api("maire", f"/{d.pk}/consolidation").status_code == 403 and api("creuse", f"/{d.pk}/actions").status_code == 404
    actions = api("maire", f"/{d.pk}/actions").json()
    assert len(actions) == 3 and next(a for a in actions if a["indicateur"] == "part_4g")["valeur_reference"] is not None


def test_a_revoked_link_is_refused_clearly_and_links_reach_their_demarche_only(client, world):
    orgs, users = world
    a = services.open_demarche(orgs["cretes"], "epci", "240800862", "A", dt.date(2026, 11, 1), dt.date(2026, 12, 31), users["porteur"])
    b = services.open_demarche(orgs["cretes"], "epci", "240800862", "B", dt.date(2026, 11, 1), dt.date(2026, 12, 31), users["porteur"])
    p, token = services.invite_link(a, "Association", "", users["porteur"])
    assert "— A" not in client.get(f"/contribuer/{token}/").content.decode() and ">A<" in client.get(f"/contribuer/{token}/").content.decode()
    assert client.get(f"/diagnostic-partage/{b.pk}/").status_code == 302  # a link is not an account
    services.move(a, Demarche.CONSULTATION, users["porteur"])
    client.post(f"/contribuer/{token}/", {"action": "contribuer", "theme": "inclusion", "difficulte": 2, "consentement": "1", "envoyer": "0"})
    p.refresh_from_db()
    assert p.consent_nom and p.contributions.get().statut == "brouillon"
    services.revoke(p, users["porteur"])
    refused = client.get(f"/contribuer/{token}/")
    assert refused.status_code == 403 and "révoqué" in refused.content.decode()


def test_invitations_reminders_and_plan_export_on_the_command_line(world, tmp_path):
    from odf import opendocument, table, teletype
    from typer.testing import CliRunner

    from terrinum.cli import app

    orgs, users = world
    d = services.open_demarche(orgs["cretes"], "epci", "240800862", "Crêtes", dt.date(2026, 11, 1), dt.date(2026, 12, 31), users["porteur"])
    runner = CliRunner()
    done = runner.invoke(
        app, ["concertation", "inviter", str(d.pk), "--compte", "porteur", "--communes", "--organisation", "Commune de Signy-l'Abbaye", "--lien", "Médiathèque"]
    )
    assert done.exit_code == 0, done.output
    assert "94 commune(s) invitée(s)" in done.output and "/contribuer/" in done.output and d.participants.count() == 96
    assert runner.invoke(app, ["concertation", "inviter", str(d.pk), "--compte", "maire", "--communes"]).exit_code == 1  # not the lead
    assert "96 participant(s) sans contribution" in runner.invoke(app, ["concertation", "relancer", str(d.pk), "--compte", "porteur"]).output
    Demarche.objects.filter(pk=d.pk).update(statut="validee")
    d.refresh_from_db()
    a = services.add_action(
        d, users["porteur"], intitule="Pylône", porteur="Département", investissement_centimes=20_000_000, debut=dt.date(2027, 1, 1), fin=dt.date(2027, 12, 31)
    )
    services.add_financing(a, users["porteur"], "Banque des Territoires", 2027, 5_000_000)
    out = tmp_path / "plan.ods"
    assert runner.invoke(app, ["concertation", "exporter", str(d.pk), "--compte", "porteur", "--format", "ods", "--sortie", str(out)]).exit_code == 0
    rows = [
        [teletype.extractText(c) for c in r.getElementsByType(table.TableCell)]
        for r in opendocument.load(str(out)).spreadsheet.getElementsByType(table.TableRow)
    ]
    assert rows[0][0] == "action" and rows[1][0] == "Pylône" and rows[1][-3:] == ["Banque des Territoires", "2027", "50000.0"]


def _consultation_with_a_link(client, world, titre: str, nom: str):
    """A démarche of the Crêtes, opened to consultation, with a partner invited by link:
    (démarche, the link's path); the client signed out."""
    orgs, users = world
    client.force_login(users["porteur"])
    today = timezone.localdate()
    client.post(
        "/diagnostic-partage/",
        {"porteur": orgs["cretes"].pk, "titre": titre, "debut": today.isoformat(), "fin": (today + dt.timedelta(days=60)).isoformat()},
    )
    d = Demarche.objects.get(titre=titre)
    page = client.post(f"/diagnostic-partage/{d.pk}/", {"action": "inviter-lien", "nom": nom, "email": ""}).content.decode()
    link = "/contribuer/{}/".format(re.search(r"/contribuer/([A-Za-z0-9_-]+)/", page).group(1))
    client.post(f"/diagnostic-partage/{d.pk}/", {"action": "statut", "statut": "consultation"})
    client.logout()
    return d, link


def test_a_refused_contribution_keeps_what_was_typed_and_a_place_is_named_by_its_commune(client, world):
    """An unknown place erased the level, difficulties and priorities typed for the theme; the
    place field wanted an INSEE code. Now a name or a postcode, a choice when several
    communes answer (those of the démarche's territory first), and nothing typed is lost."""
    d, link = _consultation_with_a_link(client, world, "Crêtes", "Médiathèque de Signy")
    typed = {"action": "contribuer", "theme": "connectivite-mobile", "difficulte": "4", "difficultes": "Le hameau n'a aucun réseau",
             "priorites": "Un pylône", "signalement_categorie": "zone-blanche", "signalement_description": "La Vallée", "envoyer": "0"}  # fmt: skip
    refused = client.post(link, {**typed, "signalement_commune": "Nullepart-sur-Rien"})
    html = refused.content.decode()
    assert refused.status_code == 400, html
    for kept in ("Le hameau n&#x27;a aucun réseau", "Un pylône", 'value="La Vallée"', 'value="Nullepart-sur-Rien"', 'value="4" required checked'):
        assert kept in html, kept
    assert '<option value="zone-blanche" selected>' in html
    # by its name: Signy-l'Abbaye is one commune
    assert client.post(link, {**typed, "signalement_commune": "Signy-l'Abbaye"}).status_code == 200
    from terrinum.apps.concertation.models import Contribution

    assert Contribution.objects.get(theme="connectivite-mobile").signalements.get().commune_code == "08419"
    # a postcode several communes share outside the territory: the choice, then the chosen one
    other = {**typed, "theme": "inclusion"}
    choose = client.post(link, {**other, "signalement_commune": "23000"}).content.decode()
    assert "choisissez la bonne" in choose and 'name="signalement_commune_code" value="23096"' in choose and "Un pylône" in choose
    assert client.post(link, {**other, "signalement_commune": "23000", "signalement_commune_code": "23096"}).status_code == 200
    assert Contribution.objects.get(theme="inclusion").signalements.get().commune_code == "23096"


def test_one_theme_at_a_time_with_the_progress_of_all(client, world):
    """The link page held seven forms, each with its « Envoyer » (8,409 px on a phone): now
    one theme at a time, saved as you go, a progress summary, and all drafts sent at once."""
    from terrinum.apps.concertation.models import Contribution

    d, link = _consultation_with_a_link(client, world, "Pas à pas", "Association des aidants")
    themes = [key for key, _ in d.theme_labels()]
    html = client.get(link).content.decode()
    assert html.count('name="theme"') == 1 and f'name="theme" value="{themes[0]}"' in html
    assert html.count(">Envoyer<") == 1 and f"Thème 1 sur {len(themes)}" in html and "à faire" in html
    # saving a draft goes on to the next theme, and the summary says where one stands
    html = client.post(link, {"action": "contribuer", "theme": themes[0], "difficulte": "3", "difficultes": "Peu de lieux", "envoyer": "0"}).content.decode()
    assert f'name="theme" value="{themes[1]}"' in html and "Avancement : 0 envoyé(s), 1 en brouillon" in html
    html = client.post(link, {"action": "contribuer", "theme": themes[1], "difficulte": "5", "envoyer": "0"}).content.decode()
    assert f'name="theme" value="{themes[2]}"' in html and "Envoyer mes 2 brouillon(s)" in html
    # any theme can be opened again from the summary, with its draft
    html = client.get(link, {"theme": themes[0]}).content.decode()
    assert f'name="theme" value="{themes[0]}"' in html and "Peu de lieux" in html and 'value="3" required checked' in html
    # all drafts sent at once, in one transaction
    html = client.post(link, {"action": "contribuer", "tout-envoyer": "1"}).content.decode()
    assert "2 contribution(s) envoyée(s)" in html and "Avancement : 2 envoyé(s) sur" in html
    assert set(Contribution.objects.filter(participant__demarche=d, statut=Contribution.SOUMISE).values_list("theme", flat=True)) == set(themes[:2])
    assert client.post(link, {"action": "contribuer", "tout-envoyer": "1"}).status_code == 409
