"""The master plan as a démarche's deliverable (issue 38, item 3) and at intercommunal level
(item 4): the lead sets its parameters, the actors contribute, the lead validates a frozen
version (its PDF), its targets are tracked, a new version says what changed; an
intercommunality's strategy adds up with its département's."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from django.contrib.auth.models import User
from pypdf import PdfReader

from terrinum.accounts.models import Membership, Organisation
from terrinum.apps.concertation.models import Demarche
from terrinum.diagnostic import partage, schema
from terrinum.territories import services

pytestmark = pytest.mark.django_db
VALIDATION = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def creuse(demo_warehouse):
    lead = Organisation.objects.create(nom="Département de la Creuse", type=Organisation.COLLECTIVITE, territoire_niveau="departement", territoire_code="23")
    commune = Organisation.objects.create(nom="Mairie de Guéret", type=Organisation.COLLECTIVITE, territoire_niveau="commune", territoire_code="23096")
    users = {}
    for name, org in (("creuse", lead), ("gueret", commune)):
        users[name] = User.objects.create_user(name, password="x")
        Membership.objects.create(user=users[name], organisation=org, role=Membership.GESTIONNAIRE)
    return lead, commune, users


def _text(pdf: bytes) -> str:
    return " ".join("".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split()).replace("\u202f", " ")


def test_a_master_plan_validated_by_the_shared_process_then_tracked_and_revised(client, creuse):
    lead, commune, users = creuse
    client.force_login(users["creuse"])
    with time_machine.travel(dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC), tick=True):
        answer = client.post("/diagnostic-partage/", {"porteur": lead.pk, "livrable": "schema-directeur", "titre": "SDTAN de la Creuse", "debut": "2026-11-02",
                                                      "fin": "2026-11-30"})  # fmt: skip
        assert answer.status_code == 302
        d = Demarche.objects.get(titre="SDTAN de la Creuse")
        url = f"/diagnostic-partage/{d.pk}/"
        assert d.livrable == Demarche.SCHEMA
        page = client.post(url, {"action": "parametres-schema", "cout_RIP": "1200", "part_Etat": "50", "part_Departement": "50", "cibles": "2030"})
        assert page.status_code == 200 and "Paramètres du schéma enregistrés" in page.content.decode()
        d.refresh_from_db()
        assert d.parametres["couts"]["RIP"] == 1200 and d.parametres["cibles"] == [2030]
        assert "schema-directeur/?cout_RIP=1200" in page.content.decode()  # the draft with the lead's parameters
        client.post(url, {"action": "inviter-organisation", "organisation": commune.pk})
        client.post(url, {"action": "statut", "statut": "consultation"})
        # a participant contributes but sets no parameter (the server refuses, whatever the form)
        client.force_login(users["gueret"])
        refused = client.post(url, {"action": "parametres-schema", "cout_RIP": "1"})
        assert refused.status_code == 403
        d.refresh_from_db()
        assert d.parametres["couts"]["RIP"] == 1200
        client.post(url, {"action": "contribuer", "theme": "connectivite-fixe", "difficulte": 4, "difficultes": "Hameaux sans fibre",
                          "priorites": "Raccorder les hameaux", "envoyer": "1"})  # fmt: skip
        client.force_login(users["creuse"])
        client.post(url, {"action": "statut", "statut": "consolidation"})
    with time_machine.travel(VALIDATION, tick=False):
        client.force_login(users["creuse"])  # sessions end after a few hours idle
        page = client.post(url, {"action": "valider"}).content.decode()
    assert "Schéma directeur validé" in page
    d.refresh_from_db()
    frozen = d.gel["schema"]
    draft = schema.compose_with(services.get("departement", "23"), d.parametres)
    rip = next(i for i in draft["investissement"]["lignes"] if i["zone"] == "RIP")
    assert frozen["investissement"]["total"] == draft["investissement"]["total"] == rip["restants"] * 1200
    assert "/StructTreeRoot" in PdfReader(io.BytesIO(bytes(d.gel_pdf))).trailer["/Root"]  # tagged
    text = _text(bytes(d.gel_pdf))
    assert "Schéma directeur territorial d'aménagement numérique — version 1 de la Creuse" in text
    assert "8. Concertation" in text and "Raccorder les hameaux" in text and f"{frozen['investissement']['total']:,} €".replace(",", " ") in text
    assert "1 participant, 1 contribution" in text
    # validated: the parameters are frozen with it
    client.force_login(users["creuse"])
    assert client.post(url, {"action": "parametres-schema", "cout_RIP": "9"}).status_code == 409
    # published: anyone reads the validated plan itself
    client.post(url, {"action": "publier", "publier": "1"})
    client.logout()
    public = client.get(f"/diagnostics-partages/{d.pk}/").content.decode().replace("\u202f", " ").replace("\xa0", " ").replace("&nbsp;", " ")
    assert "Schéma directeur territorial d'aménagement numérique — version 1 de la Creuse" in public and "Raccorder les hameaux" in public
    assert f"{frozen['investissement']['total']:,} €".replace(",", " ") in public and "<form" not in public.split("<main", 1)[1]
    # tracked: each zone's share from its value at validation to 100 % at the end of 2030
    with time_machine.travel(VALIDATION, tick=False):
        at_start = {c.zone: c for c in partage.track_plan(d)}
    assert at_start["RIP"].valeur_validation == at_start["RIP"].actuelle and at_start["RIP"].date_cible == dt.date(2030, 12, 31)
    assert at_start["RIP"].etat in ("en-avance", "atteint")
    with time_machine.travel(dt.datetime(2029, 1, 1, tzinfo=dt.UTC), tick=False):
        client.force_login(users["creuse"])
        later = {c.zone: c for c in partage.track_plan(d)}
        page = client.get(url).content.decode()
    if later["RIP"].actuelle < 100:  # no new quarter since: behind the straight line to 100 %
        assert later["RIP"].etat == "en-retard" and later["RIP"].attendue > later["RIP"].actuelle and "en retard sur la trajectoire" in page
    # a new version: the same parameters until the lead changes them; what changed is listed
    with time_machine.travel(dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC), tick=True):
        client.force_login(users["creuse"])
        answer = client.post(url, {"action": "nouvelle-version"})
        v2 = Demarche.objects.get(precedente=d)
        assert v2.livrable == Demarche.SCHEMA and v2.parametres == d.parametres and v2.version == 2
        page = client.get(f"/diagnostic-partage/{v2.pk}/").content.decode()
        assert "Ce qui a changé depuis la version 1" in page and "Aucun chiffre ni paramètre n'a changé" in page
        page = client.post(f"/diagnostic-partage/{v2.pk}/", {"action": "parametres-schema", "cout_RIP": "1500", "part_Etat": "50", "part_Departement": "50",
                                                             "cibles": "2031"}).content.decode()  # fmt: skip
    assert "Coût par local, zone RIP : 1 200 € → 1 500 €" in page.replace("\u202f", " ")
    assert f"Investissement total : {rip['restants'] * 1200:,} € → {rip['restants'] * 1500:,} €".replace(",", " ") in page.replace("\u202f", " ")
    assert "Années cibles : 2030 → 2031" in page
    changed = schema.changes(frozen, schema.frozen(partage.plan_of(Demarche.objects.get(pk=v2.pk))))
    assert {c["chapitre"] for c in changed} == {"Stratégie d'investissement", "Plan de financement"}


def test_only_a_territory_that_draws_a_plan_opens_its_demarche(client, creuse):
    lead, commune, users = creuse
    client.force_login(users["gueret"])
    answer = client.post(
        "/diagnostic-partage/", {"porteur": commune.pk, "livrable": "schema-directeur", "titre": "x", "debut": "2026-11-02", "fin": "2026-11-30"}
    )
    assert answer.status_code == 400 and "Un schéma directeur se dresse pour un département, une région ou une intercommunalité" in answer.content.decode()
    assert not Demarche.objects.exists()
    d = Demarche.objects.create(porteur=commune, territoire_niveau="commune", territoire_code="23096", titre="diag", debut=dt.date(2026, 11, 2),
                                fin=dt.date(2026, 11, 30))  # fmt: skip
    assert client.post(f"/diagnostic-partage/{d.pk}/", {"action": "parametres-schema", "cout_RIP": "1"}).status_code == 409


def test_an_intercommunality_s_strategy_adds_up_with_its_departement(client, demo_warehouse):
    """Every figure of the département's zones is the sum of its intercommunalities' (premises,
    connectable, left), and so is the investment at the same unit costs; an intercommunality
    wholly in the département has the same figures in its own strategy."""
    costs = {"ZTD": 300.0, "AMII": 500.0, "RIP": 1200.0}
    dep = schema.compose(services.get("departement", "23"), costs)
    rows = dep["zones"]["par_epci"]
    for z in dep["zones"]["lignes"]:
        mine = [r for r in rows if r["zone"] == z["zone"]]
        assert sum(r["locaux"] for r in mine) == z["locaux"] and sum(r["raccordables"] for r in mine) == z["raccordables"]
        left = next(p["restants"] for p in dep["phasage"] if p["zone"] == z["zone"])
        assert sum(r["restants"] for r in mine) == left
    assert sum(round(r["restants"] * costs[r["zone"]]) for r in rows) == dep["investissement"]["total"]
    from terrinum.warehouse import store

    with store.reader() as con:
        inside = [e for (e,) in con.execute(
            "SELECT epci_code FROM ref_commune WHERE epci_code IS NOT NULL GROUP BY epci_code HAVING bool_and(departement_code = '23') AND bool_or(departement_code = '23')"
        ).fetchall()]  # fmt: skip
    assert inside
    for code in inside:
        epci = schema.compose(services.get("epci", code), costs)
        mine = {r["zone"]: r for r in rows if r["epci"] == code}
        assert {z["zone"]: (z["locaux"], z["raccordables"]) for z in epci["zones"]["lignes"]} == {k: (r["locaux"], r["raccordables"]) for k, r in mine.items()}
        assert epci["investissement"]["total"] == sum(round(r["restants"] * costs[k]) for k, r in mine.items())
        shares = epci["zones"]["part_departements"]
        assert {s["departement"] for s in shares} == {"23"} and all(s["restants"] == mine[s["zone"]]["restants"] for s in shares)
        assert all(s["restants_departement"] == next(p["restants"] for p in dep["phasage"] if p["zone"] == s["zone"]) for s in shares)
    page = client.get(f"/territoires/epci/{inside[0]}/schema-directeur/", {"cout_RIP": "1200"}).content.decode()
    assert "Stratégie numérique intercommunale — projet" in page and "Part de l'intercommunalité dans les réseaux du département" in page
    assert "schema-directeur" in client.get(f"/territoires/epci/{inside[0]}/").content.decode()
