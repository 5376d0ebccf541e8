"""A campaign: carnets allocated to prescribers (stock, handed out, left, reallocated), the
programme's dates, and the reminders 30 and 15 days before vouchers stop being accepted."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from terrinum.accounts.models import Membership, Organisation
from terrinum.apps.pass_numerique import campagne, services
from terrinum.apps.pass_numerique.models import Rappel
from terrinum.territories.helpers import TerritorySet
from tests.apps.pass_numerique.conftest import hand_out

pytestmark = pytest.mark.django_db


def test_carnets_are_allocated_handed_out_from_stock_and_taken_back(client, world):
    orgs, lieux_, users, programme = world  # 3 carnets, the CCAS its prescriber
    other = Organisation.objects.create(nom="Maison France services", type=Organisation.PRESCRIPTEUR)
    programme.prescripteurs.add(other)
    with pytest.raises(services.Refused, match="seul le commanditaire"):
        campagne.allocate(programme, orgs["ccas"], 1, users["travailleuse"])
    campagne.allocate(programme, orgs["ccas"], 1, users["financeur"])
    with pytest.raises(services.Refused, match="au plus 2 de plus"):
        campagne.allocate(programme, other, 3, users["financeur"])
    hand_out(programme, orgs, numero=1)  # the CCAS's one carnet
    with pytest.raises(services.Refused, match="n'a plus de carnet"):
        hand_out(programme, orgs, numero=2)
    with pytest.raises(services.Refused, match="on ne peut lui en reprendre que 0"):
        campagne.allocate(programme, orgs["ccas"], -1, users["financeur"])
    campagne.allocate(programme, orgs["ccas"], 2, users["financeur"])
    hand_out(programme, orgs, numero=2)
    stock = {s.prescripteur.nom: (s.recus, s.remis, s.restants, s.bas) for s in campagne.stocks(programme)}
    assert stock == {"CCAS de Guéret": (3, 2, 1, True), "Maison France services": (0, 0, 0, False)}
    client.force_login(users["travailleuse"])
    page = client.get("/pass-numerique/").content.decode()
    assert "Vos carnets" in page and "bientôt épuisé" in page
    client.force_login(users["financeur"])
    taken = client.post("/pass-numerique/", {"action": "dotation", "programme": programme.pk, "prescripteur": orgs["ccas"].pk, "carnets": "-1"})
    assert taken.status_code == 200 and [s.recus for s in campagne.stocks(programme)][0] == 2


def test_a_programme_s_dates_can_be_set_and_are_checked(world):
    orgs, lieux_, users, programme = world
    today = timezone.localdate()
    made = services.create_programme(
        orgs["creuse"], TerritorySet.of("departement", "23"), 1, 5, fin_validite=today + dt.timedelta(days=40), imputation="65-6574"
    )
    assert made.fin_tolerance == made.fin_validite + dt.timedelta(days=31) and made.imputation == "65-6574"
    assert campagne.days_of_use(made.fin_tolerance, today) == 71
    with pytest.raises(services.Refused, match="date passée"):
        services.create_programme(orgs["creuse"], TerritorySet.of("departement", "23"), 1, 5, fin_validite=today - dt.timedelta(days=1))
    with pytest.raises(services.Refused, match="au moins jusqu'à leur fin de validité"):
        services.create_programme(orgs["creuse"], TerritorySet.of("departement", "23"), 1, 5, fin_validite=today + dt.timedelta(days=9), fin_tolerance=today)


def test_reminders_go_once_at_30_then_15_days_to_funder_prescribers_and_qualified_places(world, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    orgs, lieux_, users, programme = world
    for name in ("financeur", "travailleuse", "conseillere", "signy"):
        users[name].email = f"{name}@exemple.fr"
        users[name].save()
    Membership.objects.filter(user=users["signy"]).update(role=Membership.ADMIN)  # a place not qualified for it: not told
    hand_out(programme, orgs)
    end = programme.fin_tolerance
    assert campagne.send_reminders(end - dt.timedelta(days=31)) == [] and not mail.outbox
    sent = campagne.send_reminders(end - dt.timedelta(days=30))
    assert [(p.pk, step, n) for p, step, n in sent] == [(programme.pk, 30, 3)]
    assert sorted(mail.outbox[0].to) == ["conseillere@exemple.fr", "financeur@exemple.fr", "travailleuse@exemple.fr"]
    assert "dans 30 jour(s)" in mail.outbox[0].subject and "chèques remis pas encore utilisés : 5" in mail.outbox[0].body
    assert campagne.send_reminders(end - dt.timedelta(days=29)) == []  # once per step
    assert [step for _, step, _ in campagne.send_reminders(end - dt.timedelta(days=12))] == [15]  # a missed day: sent the day after
    assert "la distribution s'arrête" in mail.outbox[1].body and len(mail.outbox) == 2
    assert campagne.send_reminders(end) == [] and Rappel.objects.count() == 2


def test_a_list_of_places_is_qualified_at_once_or_not_at_all(world, tmp_path):
    from typer.testing import CliRunner

    from terrinum.apps.pass_numerique.models import Qualification
    from terrinum.cli import app

    orgs, lieux_, users, programme = world
    before = Qualification.objects.count()
    listing = tmp_path / "lieux.txt"
    listing.write_text("# lieux du programme\ngueret\nsigny\n")
    refused = CliRunner().invoke(app, ["pass-numerique", "lieu", "qualifier", "--programme", str(programme.pk), "--fichier", str(listing)])
    assert refused.exit_code == 1 and "n'est pas dans le territoire" in refused.output and "rien n'est inscrit" in refused.output
    assert Qualification.objects.count() == before  # Guéret's decision was not kept either
    unknown = CliRunner().invoke(app, ["pass-numerique", "lieu", "qualifier", "gueret", "nulle-part", "--programme", str(programme.pk)])
    assert unknown.exit_code == 1 and "nulle-part" in unknown.output
    listing.write_text("gueret\n")
    done = CliRunner().invoke(
        app, ["pass-numerique", "lieu", "qualifier", "--programme", str(programme.pk), "--fichier", str(listing), "--suspendre", "--motif", "contrôle"]
    )
    assert done.exit_code == 0, done.output
    assert services.standing(programme, lieux_["gueret"]).decision == Qualification.SUSPENDU


def test_a_funder_decides_for_a_list_of_places_on_the_web(client, world):
    """The same list on the page: typed or uploaded, all or nothing, the unknown line named;
    the pending applications qualified by ticking them; another funder refused."""
    import html

    from django.core.files.uploadedfile import SimpleUploadedFile

    from terrinum.apps.pass_numerique.models import Qualification

    orgs, lieux_, users, programme = world
    before = Qualification.objects.count()
    client.force_login(users["financeur"])
    post = {"action": "qualifier_liste", "programme": programme.pk, "decision": "qualifie"}
    wrong = client.post("/pass-numerique/", post | {"liste": "gueret\n\nnulle-part\n"})
    assert wrong.status_code == 400 and "ligne 3 : « nulle-part »" in wrong.content.decode() and Qualification.objects.count() == before
    outside = client.post("/pass-numerique/", post | {"liste": "gueret\nsigny"})
    assert outside.status_code == 400 and "rien n'est inscrit" in html.unescape(outside.content.decode()) and Qualification.objects.count() == before
    listing = SimpleUploadedFile("lieux.csv", "id;nom\ngueret;Médiathèque\n".encode())
    done = client.post("/pass-numerique/", post | {"decision": "suspendu", "motif": "contrôle", "liste_fichier": listing})
    assert done.status_code == 200 and "1 lieu(x) : suspendu" in done.content.decode()
    assert services.standing(programme, lieux_["gueret"]).decision == Qualification.SUSPENDU
    # the place applies again; the funder ticks its application
    services.qualify(lieux_["gueret"], programme, services.PLATFORM, Qualification.DEMANDE, "nouvelle demande")
    page = client.get("/pass-numerique/").content.decode()
    assert f'name="lieux" value="{lieux_["gueret"].pk}"' in page and "Qualifier les demandes cochées" in page
    ticked = client.post("/pass-numerique/", {"action": "qualifier_liste", "programme": programme.pk, "lieux": [str(lieux_["gueret"].pk)]})
    assert ticked.status_code == 200 and services.standing(programme, lieux_["gueret"]).decision == Qualification.QUALIFIE
    client.force_login(users["financeur08"])
    assert client.post("/pass-numerique/", post | {"liste": "gueret"}).status_code == 403
