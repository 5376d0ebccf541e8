"""Every link of the France page, a département page and a commune page leads somewhere:
0 × 4xx (« Diagnostic numérique complet » on the France page went to /france/diagnostic/,
« Lieux qui acceptent le Pass numérique » to a search for « FR » that found no commune)."""

import re

import pytest
from django.contrib.auth.models import User
from django.urls import Resolver404, resolve

from terrinum.accounts.models import Organisation
from terrinum.apps.pass_numerique import services
from terrinum.territories.helpers import TerritorySet
from terrinum.territories.models import Territory

pytestmark = pytest.mark.django_db


HEAVY = (".pdf", "/implantation/", "/diagnostic/")  # computed pages tested on their own: only their route is checked here


@pytest.mark.parametrize("page", ["/france/", "/territoires/departement/23/"])
def test_every_link_of_a_territory_page_answers(client, demo_warehouse, page):
    funder = Organisation.objects.create(nom="Département de la Creuse", type=Organisation.FINANCEUR)
    services.create_programme(funder, TerritorySet.of("departement", "23"), 1, 5, who=User.objects.create_user("f"))
    html = client.get(page).content.decode()
    links = sorted({h.replace("&amp;", "&") for h in re.findall(r'href="(/[^"#]*)', html)} - {"/deconnexion/"})
    assert len(links) > 10
    broken = []
    for url in links:
        territory = re.fullmatch(r"/territoires/(\w+)/(\w+)/", url.split("?")[0])
        if territory:  # a territory page (rendered by other tests): its territory exists
            if not Territory.objects.filter(niveau=territory[1], code=territory[2]).exists():
                broken.append((url, 404))
            continue
        if any(h in url.split("?")[0] for h in HEAVY):
            try:
                resolve(url.split("?")[0])
            except Resolver404:
                broken.append((url, 404))
            continue
        response = client.get(url)
        if response.status_code >= 400 or (url.startswith("/lieux/?") and "Aucune commune ne correspond" in response.content.decode()):
            broken.append((url, response.status_code))
        if response.streaming:
            b"".join(response.streaming_content)
    assert not broken, broken
    assert any("pass=1" in url for url in links)
