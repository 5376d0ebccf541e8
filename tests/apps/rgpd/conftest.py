import pytest
from django.contrib.auth.models import User

from terrinum.accounts.models import Membership, Organisation
from terrinum.apps.rgpd import services


@pytest.fixture
def rgpd_world(db):
    """Two mutualisation structures: the Ardennes' serves Signy-l'Abbaye, its CCAS and
    Rethel; the Creuse's serves Guéret. Accounts with every role."""
    org = {
        "ardennes": Organisation.objects.create(nom="Ardennes Numérique (mutualisation)", type=Organisation.MUTUALISATION),
        "creuse": Organisation.objects.create(nom="Creuse Mutualisation", type=Organisation.MUTUALISATION),
        "signy": Organisation.objects.create(
            nom="Commune de Signy-l'Abbaye", type=Organisation.COLLECTIVITE, territoire_niveau="commune", territoire_code="08419"
        ),
        "ccas": Organisation.objects.create(nom="CCAS de Signy-l'Abbaye", type=Organisation.COLLECTIVITE),
        "rethel": Organisation.objects.create(nom="Commune de Rethel", type=Organisation.COLLECTIVITE, territoire_niveau="commune", territoire_code="08362"),
        "gueret": Organisation.objects.create(nom="Commune de Guéret", type=Organisation.COLLECTIVITE, territoire_niveau="commune", territoire_code="23096"),
    }
    col = {
        "signy": services.enrol(org["ardennes"], org["signy"], "commune", "08419", "08", "DPO-12345"),
        "ccas": services.enrol(org["ardennes"], org["ccas"], "ccas", "", "08"),
        "rethel": services.enrol(org["ardennes"], org["rethel"], "commune", "08362", "08"),
        "gueret": services.enrol(org["creuse"], org["gueret"], "commune", "23096", "23"),
    }
    users = {"admin": User.objects.create_superuser("admin-rgpd", password="x")}
    for name, where, role in (
        ("dpo", "ardennes", Membership.DPO),
        ("referent", "ardennes", Membership.REFERENT),
        ("structure-membre", "ardennes", Membership.MEMBRE),
        ("gestionnaire", "signy", Membership.GESTIONNAIRE),
        ("lecteur", "signy", Membership.MEMBRE),
        ("dpo-creuse", "creuse", Membership.DPO),
    ):
        users[name] = User.objects.create_user(name, password="x")
        m = Membership.objects.create(user=users[name], organisation=org[where], role=role)
        if name == "referent":
            m.collectivites_assignees.add(org["ccas"], org["rethel"])
    return org, col, users
