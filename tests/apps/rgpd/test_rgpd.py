"""RGPD registers: roles through the one policy, duplication of models, the register's
workflow, requests and breaches with their deadlines, the score, exports and the JSON import,
the public register. Fixture: tests/apps/rgpd/conftest.py."""

import datetime as dt
import io
import json

import pytest
from django.utils.html import escape

from terrinum.accounts import policy
from terrinum.accounts.services import issue_token
from terrinum.apps.rgpd import echeances, modeles, services
from terrinum.apps.rgpd.models import Activite, Donnee

pytestmark = pytest.mark.django_db

# user -> {collectivité: actions allowed}
EXPECTED = {
    "admin": {c: {"lire", "modifier", "verifier"} for c in ("signy", "ccas", "rethel", "gueret")},
    "dpo": {"signy": {"lire", "modifier", "verifier"}, "ccas": {"lire", "modifier", "verifier"}, "rethel": {"lire", "modifier", "verifier"}, "gueret": set()},
    "referent": {"signy": set(), "ccas": {"lire", "modifier"}, "rethel": {"lire", "modifier"}, "gueret": set()},
    "structure-membre": {"signy": {"lire"}, "ccas": {"lire"}, "rethel": {"lire"}, "gueret": set()},
    "gestionnaire": {"signy": {"lire", "modifier"}, "ccas": set(), "rethel": set(), "gueret": set()},
    "lecteur": {"signy": {"lire"}, "ccas": set(), "rethel": set(), "gueret": set()},
    "dpo-creuse": {"signy": set(), "ccas": set(), "rethel": set(), "gueret": {"lire", "modifier", "verifier"}},
}


def test_the_policy_gives_each_role_its_collectivites(rgpd_world):
    org, col, users = rgpd_world
    for name, expected in EXPECTED.items():
        for key, actions in expected.items():
            for action in policy.RGPD_ACTIONS:
                assert policy.may_rgpd(users[name], col[key], action) == (action in actions), (name, key, action)
    from django.contrib.auth.models import AnonymousUser

    assert policy.rgpd_collectivites(AnonymousUser(), "lire") == set()


def _register(col, users):
    services.duplicate("etat-civil", [col["signy"], col["gueret"]], users["admin"])
    return {k: Activite.objects.get(collectivite=col[k]) for k in ("signy", "gueret")}


def test_every_role_sees_every_page_and_export_of_its_own_collectivites_only(client, rgpd_world):
    """The role × view × tenant matrix: pages, exports, an activity by its id, the API; outside
    the scope every answer is 404, as for an id that does not exist."""
    org, col, users = rgpd_world
    activities = _register(col, users)
    for name, expected in EXPECTED.items():
        client.force_login(users[name])
        token = issue_token(users[name].username)
        for key in ("signy", "gueret"):
            readable = "lire" in expected[key]
            pk, status = col[key].pk, 200 if "lire" in expected[key] else 404
            for url in (
                f"/rgpd/{pk}/",
                f"/rgpd/{pk}/registre.ods",
                f"/rgpd/{pk}/registre.csv",
                f"/rgpd/{pk}/registre.json",
                f"/rgpd/activites/{activities[key].pk}/",
            ):
                assert client.get(url).status_code == status, (name, url)
            for url in (
                f"/api/v1/rgpd/collectivites/{pk}/activites",
                f"/api/v1/rgpd/collectivites/{pk}/demandes",
                f"/api/v1/rgpd/collectivites/{pk}/violations",
            ):
                assert client.get(url, headers={"Authorization": f"Bearer {token}"}).status_code == status, (name, url)
            listed = {c["id"] for c in client.get("/api/v1/rgpd/collectivites", headers={"Authorization": f"Bearer {token}"}).json()}
            assert (pk in listed) == readable, name
            dashboard = client.get("/rgpd/").content.decode()
            assert (escape(str(col[key])) in dashboard) == readable, name
            # a write: record a request
            posted = client.post(f"/rgpd/{pk}/", {"action": "demande", "d-droit": "acces", "d-recue_le": "2026-11-02T10:00"})
            assert posted.status_code == (200 if "modifier" in expected[key] else 403 if readable else 404), (name, key)
    client.logout()
    assert client.get(f"/rgpd/{col['signy'].pk}/").status_code == 302  # to the login page
    assert client.get(f"/api/v1/rgpd/collectivites/{col['signy'].pk}/activites").status_code == 401


def test_an_activity_form_is_saved_by_who_keeps_the_register_and_verified_by_the_dpo_only(client, rgpd_world):
    org, col, users = rgpd_world
    new = f"/rgpd/{col['signy'].pk}/activites/nouvelle/"
    form = {
        "nom": "Inscriptions à l'école de musique", "finalites": "Inscrire les élèves, facturer.", "role": "responsable", "base_legale": "mission-publique",
        "justification": "Délibération du conseil municipal", "personnes_texte": "Élèves\nResponsables légaux",
        "destinataires_texte": "Trésorerie ; externe\nÉditeur du logiciel ; sous-traitant", "mesures": ["controle-acces", "sauvegardes"],
        "criteres_aipd": ["personnes-vulnerables"], "transferts": "", "garanties": "", "logiciels": "", "source": "", "aipd_statut": "non-requise",
        "donnees-TOTAL_FORMS": "2", "donnees-INITIAL_FORMS": "0", "donnees-MIN_NUM_FORMS": "0", "donnees-MAX_NUM_FORMS": "1000",
        "donnees-0-categorie": "Identité et coordonnées", "donnees-0-duree": "Durée de l'inscription", "donnees-0-sort_final": "destruction",
        "donnees-1-categorie": "Santé (allergies)", "donnees-1-duree": "Durée de l'inscription", "donnees-1-sort_final": "destruction", "donnees-1-sensible": "on",
    }  # fmt: skip
    client.force_login(users["lecteur"])
    assert client.post(new, form).status_code == 403 and not Activite.objects.exists()
    client.force_login(users["gestionnaire"])
    wrong = client.post(new, {**form, "destinataires_texte": "Trésorerie"})
    assert wrong.status_code == 400 and "nom ; type" in wrong.content.decode()
    answer = client.post(new, form)
    assert answer.status_code == 302
    a = Activite.objects.get(nom="Inscriptions à l'école de musique")
    assert a.destinataires[1] == {"nom": "Éditeur du logiciel", "type": "sous-traitant"} and a.donnees.count() == 2
    assert a.aipd_requise and a.aipd_statut == "a-faire"  # vulnerable people + sensitive data: two criteria
    page = f"/rgpd/activites/{a.pk}/"
    assert client.post(page, {"action": "statut", "statut": "verifie"}).status_code == 403  # not the DPO
    client.post(page, {"action": "statut", "statut": "termine"})
    client.force_login(users["referent"])  # not assigned to Signy
    assert client.get(page).status_code == 404
    client.force_login(users["dpo"])
    client.post(page, {"action": "statut", "statut": "verifie", "recommandations": "Réduire la durée des données de santé."})
    a.refresh_from_db()
    assert a.statut == "verifie" and a.verifie_par == users["dpo"] and "santé" in a.recommandations
    client.force_login(users["gestionnaire"])
    assert client.post(page, {**form, "finalites": "Inscrire les élèves."}).status_code == 302
    a.refresh_from_db()
    assert a.statut == "termine" and a.finalites == "Inscrire les élèves."  # changed after verification: to be verified again


def test_a_model_is_copied_into_many_registers_in_one_transaction(rgpd_world):
    org, col, users = rgpd_world
    done = services.duplicate("videoprotection", [col["signy"], col["rethel"]], users["dpo"])
    assert done == {"creees": 2, "deja_presentes": 0}
    a = Activite.objects.get(collectivite=col["signy"], modele="videoprotection")
    assert a.aipd_requise and "un mois" in a.donnees.get().duree.lower() and "L252-5" in a.donnees.get().duree
    assert services.duplicate("videoprotection", [col["signy"], col["rethel"], col["ccas"]], users["dpo"]) == {"creees": 1, "deja_presentes": 2}
    before = Activite.objects.count()
    with pytest.raises(services.Refused, match="périmètre"):
        services.duplicate("etat-civil", [col["signy"], col["gueret"]], users["dpo"])  # Guéret is not his
    assert Activite.objects.count() == before
    a.finalites = "Adaptée à Signy"
    services.save_activity(a, users["dpo"])
    assert (
        Activite.objects.get(collectivite=col["rethel"], modele="videoprotection").finalites == modeles.BY_KEY["videoprotection"].finalites
    )  # copies are independent


def test_every_model_of_the_library_cites_its_sources_and_keeps_every_data_category(rgpd_world):
    org, col, users = rgpd_world
    assert len(modeles.MODELS) >= 11
    for m in modeles.MODELS:
        services.duplicate(m.key, [col["rethel"] if not m.categories else col["ccas"]], users["admin"])  # the social-action model is the CCAS's
        assert m.sources and m.donnees
    ours = [m for m in modeles.MODELS if not m.categories]
    assert col["rethel"].activites.count() == len(ours) and col["ccas"].activites.count() == len(modeles.MODELS) - len(ours)
    assert Donnee.objects.filter(activite__collectivite=col["rethel"]).count() == sum(len(m.donnees) for m in ours)
    assert Donnee.objects.filter(activite__collectivite=col["rethel"], nir=True).exists()


def test_requests_carry_their_deadline_and_an_extension_must_be_told_in_time(client, rgpd_world, time_machine):
    org, col, users = rgpd_world
    paris = echeances.PARIS
    d = services.record_request(col["signy"], users["gestionnaire"], "acces", dt.datetime(2025, 1, 31, 10, tzinfo=paris))
    assert d.echeance().due.date() == dt.date(2025, 2, 28)
    with pytest.raises(services.Refused, match="28/02/2025"):
        services.extend_request(d, users["gestionnaire"], dt.datetime(2025, 3, 3, 9, tzinfo=paris))
    services.extend_request(d, users["gestionnaire"], dt.datetime(2025, 2, 20, 9, tzinfo=paris))
    assert d.echeance().due.date() == dt.date(2025, 4, 28)  # the first deadline, 28/02, plus two months
    assert services.request_late(d, dt.datetime(2025, 4, 29, 9, tzinfo=paris)) and not services.request_late(d, dt.datetime(2025, 4, 28, 20, tzinfo=paris))
    services.answer_request(d, users["gestionnaire"], dt.datetime(2025, 4, 2, 9, tzinfo=paris))
    assert not services.request_late(d, dt.datetime(2027, 6, 1, 9, tzinfo=paris))  # answered: never late after
    token = issue_token("gestionnaire")
    created = client.post(
        f"/api/v1/rgpd/collectivites/{col['signy'].pk}/demandes",
        {"droit": "effacement", "recue_le": "2025-05-08T09:00:00"},
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["delai"]["echeance"] == "2025-06-10T23:59:59+02:00" and "1182/71" in body["delai"]["regle"] and body["en_retard"]
    assert any("Lundi de Pentecôte" in step for step in body["delai"]["etapes"])
    time_machine.move_to(dt.datetime(2026, 6, 1, 9, tzinfo=paris))  # an injected clock: the request below is three days ahead of it
    future = client.post(
        f"/api/v1/rgpd/collectivites/{col['signy'].pk}/demandes",
        {"droit": "acces", "recue_le": "2026-06-04T09:00:00"},
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert future.status_code == 400 and "futur" in future.json()["detail"]


def test_breaches_carry_their_72_hours_and_late_notifications_count(client, rgpd_world):
    org, col, users = rgpd_world
    token = issue_token("dpo")
    url = f"/api/v1/rgpd/collectivites/{col['rethel'].pk}/violations"
    payload = {
        "connue_le": "2025-03-28T10:00:00",
        "natures": ["confidentialite"],
        "cause": "Courriel envoyé au mauvais destinataire",
        "donnees": "Liste des bénéficiaires",
        "personnes": 40,
        "risque": "eleve",
    }
    answer = client.post(url, payload, content_type="application/json", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["delai"]["echeance"] == "2025-03-31T11:00:00+02:00" and body["communication_requise"] and body["en_retard"]
    minor = client.post(url, {**payload, "risque": "aucun"}, content_type="application/json", headers={"Authorization": f"Bearer {token}"}).json()
    assert not minor["notification_requise"] and not minor["en_retard"]
    wrong = client.post(url, {**payload, "natures": []}, content_type="application/json", headers={"Authorization": f"Bearer {token}"})
    assert wrong.status_code == 422
    (row,) = services.dashboard([col["rethel"]])
    assert row.violations_en_retard == 1
    assert client.get("/api/v1/rgpd/echeance?type=violation&depuis=2025-10-24T10:00").json()["echeance"] == "2025-10-27T09:00:00+01:00"
    assert client.get("/api/v1/rgpd/echeance?type=demande&depuis=2025-03-30T02:30").status_code == 422


def test_the_score_adds_the_documented_criteria(rgpd_world):
    org, col, users = rgpd_world
    now = dt.datetime(2026, 6, 1, 12, tzinfo=echeances.PARIS)
    (empty,) = services.dashboard([col["rethel"]], now)
    # no DPO number, empty register: the criteria with nothing to judge are left out, not given
    assert empty.score == 0 and sum(p for _, _, p in services.CRITERIA) == 100
    assert [got for _, got, _ in empty.details()] == [0, 0, 0, None, None, None, None, None]
    for key in ("etat-civil", "listes-electorales", "urbanisme", "salles", "recensement"):
        services.duplicate(key, [col["signy"]], users["dpo"])
    for a in Activite.objects.filter(collectivite=col["signy"])[:2]:
        services.set_status(a, "termine", users["dpo"])
        services.set_status(a, "verifie", users["dpo"])
    services.add_action(col["signy"], users["dpo"], "Former les agents", dt.date(2026, 1, 15))
    services.add_action(col["signy"], users["dpo"], "Relire les contrats", dt.date(2026, 12, 15))
    services.save_processor(col["signy"], users["dpo"], "Éditeur X", "Logiciel d'état civil", [k for k, _ in services.CLAUSES][:5])
    (row,) = services.dashboard([col["signy"]], now)
    # DPO 10 + register 15 + verified 25×2/5 + processors 0 + actions 10×1/2, over the 70 points
    # that apply (no analysis required, no request, no breach)
    assert row.score == round(100 * (10 + 15 + 10 + 0 + 5) / 70) == 57
    assert [got for _, got, _ in row.details()] == [10, 15, 10, None, 0, None, None, 5]
    services.record_request(col["signy"], users["dpo"], "acces", now - dt.timedelta(days=3))
    (row,) = services.dashboard([col["signy"]], now)
    assert row.score == round(100 * (10 + 15 + 10 + 0 + 5 + 10) / 80)  # a request answered in time: its 10 points count


def test_the_register_exports_in_the_cnil_layout(client, rgpd_world):
    from odf import opendocument, table, teletype
    from openpyxl import load_workbook

    org, col, users = rgpd_world
    services.duplicate("rh-paie", [col["signy"]], users["dpo"])
    services.duplicate("etat-civil", [col["signy"]], users["dpo"])
    client.force_login(users["lecteur"])
    ods = client.get(f"/rgpd/{col['signy'].pk}/registre.ods")
    assert ods["Content-Type"] == "application/vnd.oasis.opendocument.spreadsheet"
    doc = opendocument.load(io.BytesIO(ods.content))
    rows = [[teletype.extractText(c) for c in r.getElementsByType(table.TableCell)] for r in doc.spreadsheet.getElementsByType(table.TableRow)]
    assert rows[0] == services.COLUMNS and len(rows) == 3
    paie = dict(zip(rows[0], next(r for r in rows if r[0] == "Ressources humaines et paie"), strict=True))
    assert "Numéro de sécurité sociale (NIR)" in paie["Données sensibles ou NIR"] and paie["Base légale"] == "Obligation légale (art. 6.1.c)"
    assert "Durée de la carrière" in paie["Durées de conservation et sort final"] and paie["AIPD requise"] == "oui"
    book = load_workbook(io.BytesIO(client.get(f"/rgpd/{col['signy'].pk}/registre.xlsx").content))
    assert [c.value for c in book.active[1]] == services.COLUMNS and book.active.max_row == 3
    csv_text = client.get(f"/rgpd/{col['signy'].pk}/registre.csv").content.decode()
    assert csv_text.splitlines()[0].startswith("Activité,Finalités,Rôle")
    import pypdf

    pdf = pypdf.PdfReader(io.BytesIO(client.get(f"/rgpd/{col['signy'].pk}/registre.pdf").content))
    text = " ".join(page.extract_text() for page in pdf.pages)
    assert "Ressources humaines et paie" in text and "Numéro de sécurité sociale" in text and "/StructTreeRoot" in pdf.trailer["/Root"]


def test_a_collectivite_moves_as_json_atomically(client, rgpd_world):
    org, col, users = rgpd_world
    services.duplicate("cantine-periscolaire", [col["signy"]], users["dpo"])
    services.save_processor(col["signy"], users["dpo"], "Éditeur Y", "Facturation", ["instructions", "securite"])
    services.add_action(col["signy"], users["dpo"], "Mettre à jour la mention d'information", dt.date(2027, 1, 31), 1)
    client.force_login(users["dpo"])
    exported = client.get(f"/rgpd/{col['signy'].pk}/registre.json").json()
    assert exported["format"] == "terrinum-rgpd/1" and exported["activites"][0]["donnees"]
    counts = services.import_json(col["rethel"], exported, users["dpo"], "signy.json")
    assert counts == {"activites": 1, "sous_traitants": 1, "actions": 1}
    copy = Activite.objects.get(collectivite=col["rethel"])
    assert copy.donnees.count() == 3 and copy.aipd_requise
    again = services.import_json(col["rethel"], exported, users["dpo"], "signy.json")  # activities matched by name
    assert again["activites"] == 1 and Activite.objects.filter(collectivite=col["rethel"]).count() == 1
    broken = json.loads(json.dumps(exported))
    broken["activites"].append({**exported["activites"][0], "nom": "Autre", "base_legale": "parce-que"})
    before = (Activite.objects.count(), Donnee.objects.count())
    with pytest.raises(services.Refused, match=r"signy.json, activites\[1\] \(Autre\) : base légale : valeur\(s\) inconnue\(s\) parce-que"):
        services.import_json(col["ccas"], broken, users["dpo"], "signy.json")
    assert (Activite.objects.count(), Donnee.objects.count()) == before  # nothing written
    with pytest.raises(services.Refused, match="périmètre"):
        services.import_json(col["gueret"], exported, users["dpo"])


def test_the_public_register_shows_what_article_30_allows_and_can_be_embedded(client, rgpd_world):
    org, col, users = rgpd_world
    services.duplicate("videoprotection", [col["signy"]], users["dpo"])
    services.duplicate("etat-civil", [col["signy"]], users["dpo"])
    services.set_status(Activite.objects.get(collectivite=col["signy"], modele="etat-civil"), "termine", users["dpo"])
    url = f"/registres/{col['signy'].pk}/"
    assert client.get(url).status_code == 404  # not published
    client.force_login(users["lecteur"])
    assert client.post(f"/rgpd/{col['signy'].pk}/", {"action": "publier", "public": "1"}).status_code == 403
    client.force_login(users["gestionnaire"])
    client.post(f"/rgpd/{col['signy'].pk}/", {"action": "publier", "public": "1"})
    client.logout()
    page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200 and "État civil" in html and "Vidéoprotection" not in html  # a draft is not published
    assert "Mesures de sécurité" not in html and "DPO mutualisé — Ardennes Numérique" in html
    embedded = client.get(url + "?integre=1")
    assert "X-Frame-Options" not in embedded.headers and "frame-ancestors *" in embedded.headers["Content-Security-Policy"]
    assert "Rechercher un territoire" not in embedded.content.decode()
    assert client.get(f"/registres/{col['gueret'].pk}/").status_code == 404


def test_the_territory_page_and_the_report_show_published_registers_only(client, rgpd_world, demo_warehouse):
    org, col, users = rgpd_world
    services.duplicate("etat-civil", [col["signy"], col["rethel"]], users["dpo"])
    html = client.get("/territoires/departement/08/").content.decode()
    assert "Registres RGPD" in html and "2 collectivités de ce territoire" in html and "Aucune n'a encore publié" in html
    col["rethel"].registre_public = True
    col["rethel"].save()
    html = client.get("/territoires/departement/08/").content.decode()
    assert f"/registres/{col['rethel'].pk}/" in html and escape("Commune de Signy-l'Abbaye") not in html.split('id="rgpd"')[1]
    assert "Commune de Rethel" in client.get("/territoires/departement/08/diagnostic/").content.decode()
    creuse = client.get("/territoires/departement/23/").content.decode()
    assert "1 collectivité de ce territoire tient son registre" in creuse and "Commune de Rethel" not in creuse


def test_the_dpo_sees_the_week_s_deadlines_and_a_breach_countdown(client, rgpd_world):
    """Journey 3: a breach reported on a Friday afternoon; requests due this week."""
    org, col, users = rgpd_world
    paris = echeances.PARIS
    friday = dt.datetime(2026, 11, 27, 16, 30, tzinfo=paris)
    v = services.record_breach(
        col["rethel"],
        users["dpo"],
        connue_le=friday,
        natures=["confidentialite"],
        cause="Clé USB perdue",
        donnees="Dossiers CCAS",
        personnes=12,
        risque="eleve",
    )
    services.record_request(col["signy"], users["gestionnaire"], "acces", dt.datetime(2026, 10, 28, 9, tzinfo=paris))  # due 28/11 (a Saturday) -> 30/11
    services.record_request(col["signy"], users["gestionnaire"], "effacement", dt.datetime(2026, 11, 2, 9, tzinfo=paris))  # due 02/12
    services.record_request(col["gueret"], users["dpo-creuse"], "acces", dt.datetime(2026, 11, 2, 9, tzinfo=paris))  # not his
    monday = dt.datetime(2026, 11, 30, 10, 0, tzinfo=paris)
    week = services.due_soon(services.readable(users["dpo"]), monday)
    assert [e.echeance.date() for e in week["demandes"]] == [dt.date(2026, 11, 30), dt.date(2026, 12, 2)]
    assert week["violations"][0].objet == v and week["violations"][0].echeance == dt.datetime(2026, 11, 30, 16, 30, tzinfo=paris)
    assert week["violations"][0].reste_texte == "reste 6 h 30 min"
    late = services.due_soon(services.readable(users["dpo"]), dt.datetime(2026, 12, 1, 18, 0, tzinfo=paris))["violations"][0]
    assert late.en_retard and late.reste_texte == "en retard de 1 j 1 h 30 min"
    client.force_login(users["dpo"])
    page = client.get("/rgpd/").content.decode()
    assert "Violations à notifier à la CNIL" in page and "Commune de Rethel" in page and "Guéret" not in page
    register = client.get(f"/rgpd/{col['rethel'].pk}/").content.decode()
    assert "<td>Confidentialité</td>" in register and "<td>confidentialite</td>" not in register  # the nature as people read it


def test_the_dpo_s_verbs_on_the_command_line(rgpd_world, tmp_path, reference_build):
    from typer.testing import CliRunner

    from terrinum.cli import app

    org, col, users = rgpd_world
    runner = CliRunner()

    def run(*args):
        return runner.invoke(app, ["rgpd", *args])

    done = run("adherer", "--structure", "Ardennes Numérique (mutualisation)", "--organisation", "Commune de Charleville-Mézières", "--territoire", "08105")
    assert done.exit_code == 0, done.output
    added = services.Collectivite.objects.get(organisation__nom="Commune de Charleville-Mézières")
    assert added.insee == "08105" and added.departement == "08"
    assert run("adherer", "--structure", "Inconnue", "--organisation", "X").exit_code == 1
    out = run("dupliquer", "listes-electorales", "--compte", "dpo")
    assert out.exit_code == 0 and "copié dans 4 registre(s)" in out.output  # Signy, its CCAS, Rethel, Charleville
    assert run("dupliquer", "listes-electorales", "--compte", "dpo", "--collectivite", "Commune de Guéret").exit_code == 1  # not his
    assert "modèle inconnu" in run("dupliquer", "cantine", "--compte", "dpo").output
    exported = tmp_path / "signy.json"
    assert run("exporter", "Commune de Signy-l'Abbaye", "--compte", "lecteur", "--sortie", str(exported)).exit_code == 0
    assert run("exporter", "Commune de Signy-l'Abbaye", "--compte", "dpo-creuse").exit_code == 1
    ods = tmp_path / "r.ods"
    assert run("exporter", "Commune de Signy-l'Abbaye", "--compte", "dpo", "--format", "ods", "--sortie", str(ods)).exit_code == 0 and ods.stat().st_size > 1000
    assert run("importer", "Commune de Guéret", str(exported), "--compte", "dpo-creuse").exit_code == 0
    assert Activite.objects.filter(collectivite=col["gueret"], nom="Listes électorales").exists()
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "terrinum-rgpd/1", "activites": [{"nom": "X", "finalites": "Y", "base_legale": "z"}]}')
    wrong = run("importer", "Commune de Guéret", str(bad), "--compte", "dpo-creuse")
    assert wrong.exit_code == 1 and "bad.json, activites[0] (X) : base légale" in " ".join(wrong.output.split())  # Rich folds long lines
    assert run("confier", "referent", "--structure", "Ardennes Numérique (mutualisation)", "--collectivite", "Commune de Signy-l'Abbaye").exit_code == 0
    assert policy.may_rgpd(users["referent"], col["signy"], "modifier")
    assert "listes-electorales" in run("modeles").output


def test_reminders_go_to_who_keeps_each_register(rgpd_world):
    from django.core import mail

    org, col, users = rgpd_world
    for name in ("gestionnaire", "dpo", "lecteur", "dpo-creuse", "referent"):
        users[name].email = f"{name}@exemple.fr"
        users[name].save()
    paris = echeances.PARIS
    now = dt.datetime(2026, 11, 30, 10, tzinfo=paris)
    services.record_request(col["signy"], users["gestionnaire"], "acces", dt.datetime(2026, 11, 2, 9, tzinfo=paris))  # due 02/12
    services.record_request(col["gueret"], users["dpo-creuse"], "acces", dt.datetime(2026, 11, 20, 9, tzinfo=paris))  # due 21/12: not this week
    services.record_breach(
        col["rethel"], users["dpo"], connue_le=now, natures=["integrite"], cause="Rançongiciel", donnees="Paie", personnes=30, risque="eleve"
    )
    sent = services.send_reminders(now)
    assert sorted((str(c), r, n) for c, r, n in sent) == [
        ("Commune de Rethel", ["dpo@exemple.fr", "referent@exemple.fr"], 1),
        ("Commune de Signy-l'Abbaye", ["dpo@exemple.fr", "gestionnaire@exemple.fr"], 1),
    ]
    signy = next(m for m in mail.outbox if "Signy" in m.subject)
    assert "répondre avant le 02/12/2026 à 23:59" in signy.body and "lecteur@exemple.fr" not in signy.to


def test_the_dpo_and_an_import_from_the_collectivite_s_page(client, rgpd_world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    org, col, users = rgpd_world
    services.duplicate("salles", [col["signy"]], users["dpo"])
    exported = json.dumps(services.export_json(col["signy"])).encode()
    url = f"/rgpd/{col['rethel'].pk}/"
    client.force_login(users["lecteur"])  # reads Signy only
    assert client.post(url, {"action": "dpo", "dpo_nom": "X"}).status_code == 404
    client.force_login(users["referent"])
    assert client.post(url, {"action": "dpo", "dpo_nom": "Mme Martin", "dpo_designation": "DPO-2026-77"}).status_code == 200
    col["rethel"].refresh_from_db()
    assert col["rethel"].dpo_designation_cnil == "DPO-2026-77" and services.dpo_of(col["rethel"]) == "Mme Martin"
    answer = client.post(url, {"action": "importer", "fichier": SimpleUploadedFile("signy.json", exported, content_type="application/json")})
    assert answer.status_code == 200 and "Importé : 1 activité(s)" in answer.content.decode()
    broken = client.post(url, {"action": "importer", "fichier": SimpleUploadedFile("x.json", b"{not json", content_type="application/json")})
    assert broken.status_code == 400 and "x.json : JSON illisible" in broken.content.decode()
    assert Activite.objects.filter(collectivite=col["rethel"]).count() == 1


def test_the_shared_dpo_opens_a_collectivite_s_register_from_the_web(client, rgpd_world):
    """A DPO read « Aucune collectivité dans votre périmètre » and could not start from the web
    (memberships existed only in the command line)."""
    from terrinum.apps.rgpd.models import Collectivite

    org, col, users = rgpd_world
    client.force_login(users["dpo"])
    page = client.get("/rgpd/").content.decode()
    assert "Faire adhérer une collectivité à la structure" in page
    form = {"action": "adherer", "structure": org["ardennes"].pk, "nom": "Commune de Novion-Porcien", "categorie": "commune", "territoire": "Novion-Porcien"}
    answer = client.post("/rgpd/", form)
    assert answer.status_code == 200 and "son registre est ouvert" in answer.content.decode()
    c = Collectivite.objects.get(organisation__nom="Commune de Novion-Porcien")
    assert (c.insee, c.departement) == ("08329", "08") and c.organisation in org["ardennes"].collectivites_servies.all()
    assert "Commune de Novion-Porcien" in client.get("/rgpd/").content.decode()
    # not into another structure, not by a référent or a commune's account; a région is no commune
    assert client.post("/rgpd/", {**form, "structure": org["creuse"].pk, "nom": "X"}).status_code == 403
    assert client.post("/rgpd/", {**form, "nom": "Y", "territoire": "Grand Est"}).status_code == 400
    for name in ("referent", "gestionnaire"):
        client.force_login(users[name])
        assert client.post("/rgpd/", {**form, "nom": "Z"}).status_code == 403
    assert not Collectivite.objects.filter(organisation__nom__in=["X", "Y", "Z"]).exists()
