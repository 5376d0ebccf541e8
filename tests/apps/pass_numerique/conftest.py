"""The Pass numérique's test world: places in the Creuse and the Ardennes, funders, a
prescriber, place accounts, and a programme of the Creuse whose Guéret place is qualified."""

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from terrinum.accounts.models import Membership, Organisation
from terrinum.apps.inclusion import services as places
from terrinum.apps.inclusion.models import Lieu
from terrinum.apps.pass_numerique import services
from terrinum.sources import lieux
from terrinum.territories.helpers import TerritorySet
from tests.apps.inclusion.factories import place, write_csv


@pytest.fixture
def world(tmp_path):
    rows = [
        place(id="gueret"),
        place(id="signy", nom="Espace de Signy", code_insee="08419", code_postal="08460", commune="Signy-l'Abbaye", latitude="49.699", longitude="4.418"),
    ]
    places.import_parsed(lieux.parse_standard(write_csv(tmp_path / "l.csv", rows)), "l.csv", "test")
    orgs = {
        "creuse": Organisation.objects.create(nom="Département de la Creuse", type=Organisation.FINANCEUR),
        "ardennes": Organisation.objects.create(nom="Département des Ardennes", type=Organisation.FINANCEUR),
        "ccas": Organisation.objects.create(nom="CCAS de Guéret", type=Organisation.PRESCRIPTEUR),
        "mediatheque": Organisation.objects.create(nom="Médiathèque", type=Organisation.LIEU),
        "signy": Organisation.objects.create(nom="Espace de Signy", type=Organisation.LIEU),
    }
    lieux_ = {lieu.identifiant: lieu for lieu in Lieu.objects.all()}
    for key, org in (("gueret", "mediatheque"), ("signy", "signy")):
        Lieu.objects.filter(pk=lieux_[key].pk).update(organisation=orgs[org])
        lieux_[key].refresh_from_db()
    users = {}
    for name, org in (("financeur", "creuse"), ("financeur08", "ardennes"), ("travailleuse", "ccas"), ("conseillere", "mediatheque"), ("signy", "signy")):
        users[name] = User.objects.create_user(name, password="x")
        Membership.objects.create(user=users[name], organisation=orgs[org], role=Membership.GESTIONNAIRE)
    programme = services.create_programme(
        orgs["creuse"], TerritorySet.of("departement", "23"), 3, 5, prescripteurs=[orgs["ccas"]], year=timezone.localdate().year
    )
    # the funder qualifies the Guéret place from the first day of the programme's year
    services.qualify(
        lieux_["gueret"], programme, users["financeur"], now=dt.datetime(programme.fin_validite.year, 1, 1, tzinfo=timezone.get_current_timezone())
    )
    lieux_["gueret"].refresh_from_db()
    return orgs, lieux_, users, programme


def hand_out(programme, orgs, numero=1):
    carnet = programme.carnets_emis.get(numero=numero)
    services.attribute(carnet, orgs["ccas"], tranche_age="60-74", commune_code="23096", motif="démarches en ligne")
    return list(carnet.cheques.values_list("code", flat=True))
