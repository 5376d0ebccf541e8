"""After the proposal: an order designates zones and operators with a 24-month deadline; a
zone goes to a site in service, late or not — a site put in service after its deadline stays
counted late; the élus who reported are told by mail; the report's page tells its path; an
orders file is read or refused naming line and field, and a re-import changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from terrinum.apps.signalements import services, suivi
from terrinum.apps.signalements.models import Zone
from tests.apps.signalements.test_signalements import SIGNY, _offset, _report

pytestmark = pytest.mark.django_db


def _proposed(world):
    orgs, users = world
    users["agent_signy"].email = "agent@signy.fr"
    users["agent_signy"].save()
    a = services.report_zone(users["agent_signy"], orgs["signy"], _report())
    services.report_zone(users["agent_signy"], orgs["signy"], _report(longitude=_offset(*SIGNY, 600, 0)[0], latitude=SIGNY[1]))
    (zone,) = services.regroup("08", 1500)
    return services.decide(zone, Zone.PROPOSE, "", users["chef_projet08"]), a


def test_a_site_in_service_after_its_deadline_stays_counted_late(coverage_data, world, settings, client):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    orgs, users = world
    zone, report = _proposed(world)
    order = suivi.record_order("08", "2023-1234", dt.date(2023, 6, 1), ["OF", "SFR0"], [zone], users["chef_projet08"])
    assert order.echeance == dt.date(2025, 6, 1)  # 24 months
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["agent@signy.fr"] and "désignée par arrêté" in mail.outbox[0].subject
    zone.refresh_from_db()
    assert zone.retard_jours(dt.date(2025, 6, 1)) == 0 and zone.retard_jours(dt.date(2025, 7, 1)) == 30
    with pytest.raises(services.Refused, match="date de mise en service : obligatoire"):
        suivi.advance(zone, Zone.EN_SERVICE, users["chef_projet08"])
    suivi.advance(zone, Zone.EN_SERVICE, users["chef_projet08"], dt.date(2025, 9, 12))
    zone.refresh_from_db()
    far_later = timezone.localdate() + dt.timedelta(days=400)
    assert zone.retard_jours(far_later) == 103  # fixed at its going into service, never forgotten
    follow = suivi.follow_up("08", far_later)
    assert follow.par_etape == {Zone.EN_SERVICE: 1} and [(z.numero, d) for z, d in follow.en_retard] == [(zone.numero, 103)]
    assert follow.retards_par_operateur == {"OF": 1, "SFR0": 1} and follow.delai_median_jours == (dt.date(2025, 9, 12) - dt.date(2023, 6, 1)).days
    assert len(mail.outbox) == 2 and "103 jour(s) de retard" in mail.outbox[1].body
    with pytest.raises(services.Refused, match="déjà « site en service »"):
        suivi.advance(zone, Zone.ABANDONNEE, users["chef_projet08"], motif="x")
    client.force_login(users["agent_signy"])
    page = client.get(f"/couverture/signalements/{report.pk}/").content.decode()
    assert "Parcours de votre signalement" in page and "Arrêté n° 2023-1234" in page and "avec 103 jour(s) de retard" in page


def test_orders_are_imported_from_a_csv_file_or_refused_by_line_and_field(coverage_data, world, client):
    orgs, users = world
    zone, _ = _proposed(world)
    bad = f"numero_arrete;date_arrete;zone;operateurs\n2024-7;31/02/2024;{zone.numero};Orange\n2024-7;01/03/2024;99;Orange\n2024-7;01/03/2024;{zone.numero};Sosh\n"
    with pytest.raises(services.Refused) as refused:
        suivi.import_orders("08", bad.encode(), "arretes.csv", users["chef_projet08"])
    text = str(refused.value)
    assert "arretes.csv, ligne 2, champ « date_arrete »" in text and "ligne 3, champ « zone »" in text and "ligne 4, champ « operateurs »" in text
    assert not Zone.objects.filter(arrete__isnull=False).exists()
    good = f"numero_arrete;date_arrete;zone;operateurs\n2024-7;01/03/2024;{zone.numero};Orange, Free\n".encode()
    assert len(suivi.import_orders("08", good, "arretes.csv", users["chef_projet08"])) == 1
    assert suivi.import_orders("08", good, "arretes.csv", users["chef_projet08"]) == []  # a re-import changes nothing
    zone.refresh_from_db()
    assert zone.etape == Zone.ORDONNEE and zone.arrete.operateurs == ["OF", "FREE"]
    client.force_login(users["prefecture08"])  # the team's reader sees the follow-up, cannot act
    page = client.get("/couverture/departements/08/").content.decode()
    assert "Arrêtés et suivi des sites" in page and "n° 2024-7 du 01/03/2024" in page and "Importer des arrêtés" not in page
    assert client.post("/couverture/departements/08/", {"action": "etape", "zone": zone.pk, "etape": "abandonnee", "motif": "x"}).status_code == 404
