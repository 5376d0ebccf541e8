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


def test_the_sites_of_arcep_s_file_are_matched_with_their_zones_or_listed(coverage_data, world):
    """ARCEP's file holds one site of the Ardennes: order 2024-12 at Signy-l'Abbaye. A zone of
    Signy designated by « n° 2024-12 » is matched (the number written differently); designated
    by another order, the site is listed for a person to match, and a zone without its site
    is listed too; a site the file says in service puts its zone in service, its delay kept."""
    import time_machine

    from terrinum.apps.signalements.models import SiteNewDeal

    with time_machine.travel(dt.datetime(2026, 12, 1, 10, tzinfo=dt.UTC), tick=False):  # dates of service are judged against today
        orgs, users = world
        zone, _ = _proposed(world)
        other = suivi.record_order("08", "2024-99", dt.date(2024, 5, 1), ["OF"], [zone], users["chef_projet08"])
        found = suivi.match_sites("08", users["chef_projet08"])
        assert (found.millesime, found.demo, found.lies) == ("2024", False, [])
        assert [(s.num_arrete, s.code_commune) for s in found.a_rapprocher] == [("2024-12", "08419")] and found.zones_sans_site == [zone]
        # the project team says which zone it is
        site = found.a_rapprocher[0]
        suivi.link_site(site, zone, users["chef_projet08"])
        again = suivi.match_sites("08", users["chef_projet08"])
        assert again.deja_lies == 1 and not again.a_rapprocher and not again.zones_sans_site
        assert SiteNewDeal.objects.get().lie_par == users["chef_projet08"]
        # designated by the same order written otherwise: matched by Terrinum
        Zone.objects.filter(pk=zone.pk).update(arrete=None, etape="")
        zone.refresh_from_db()
        other.delete()
        suivi.record_order("08", "n° 2024-12", dt.date(2024, 3, 1), ["OF", "FREE"], [zone], users["chef_projet08"])
        SiteNewDeal.objects.update(zone=None, lie_par=None)
        matched = suivi.match_sites("08", users["chef_projet08"], today=dt.date(2026, 12, 1))
        assert [s.zone_id for s in matched.lies] == [zone.pk] and SiteNewDeal.objects.get().lie_par is None and not matched.mis_en_service
        # a later file says the site went into service after its deadline (1 March 2026)
        site = SiteNewDeal.objects.get()
        site.en_service, site.date_mise_en_service = True, dt.date(2026, 5, 11)
        site.save()
        suivi.link_site(site, zone, users["chef_projet08"], today=dt.date(2026, 12, 1))
        zone.refresh_from_db()
        assert (zone.etape, zone.en_service_le, zone.retard_jours(dt.date(2030, 1, 1))) == (Zone.EN_SERVICE, dt.date(2026, 5, 11), 71)
        with pytest.raises(services.Refused, match="n'est pas du département"):
            suivi.link_site(SiteNewDeal.objects.get(), Zone(departement_code="23", numero=1), users["chef_projet08"])


def test_the_project_team_matches_the_sites_on_its_page(coverage_data, world, client):
    from terrinum.apps.signalements.models import SiteNewDeal

    orgs, users = world
    zone, _ = _proposed(world)
    suivi.record_order("08", "2024-99", dt.date(2024, 5, 1), ["OF"], [zone], users["chef_projet08"])
    client.force_login(users["prefecture08"])  # reads, does not decide
    assert client.post("/couverture/departements/08/", {"action": "sites"}).status_code == 404
    client.force_login(users["chef_projet08"])
    answer = client.post("/couverture/departements/08/", {"action": "sites"}).content.decode()
    assert "0 site(s) rapproché(s) de leur zone, 0 déjà rapproché(s), 1 à rapprocher à la main" in answer
    site = SiteNewDeal.objects.get()
    linked = client.post("/couverture/departements/08/", {"action": "lier_site", "site": site.pk, "zone": zone.pk})
    assert linked.status_code == 200 and f"rapproché de la zone {zone.numero}" in linked.content.decode()
    client.force_login(users["chef_projet23"])  # another département's team
    assert client.post("/couverture/departements/08/", {"action": "lier_site", "site": site.pk, "zone": zone.pk}).status_code == 404


def test_france_s_follow_up_gathers_every_departement(coverage_data, world, client):
    orgs, users = world
    zone, _ = _proposed(world)
    suivi.record_order("08", "2023-1234", dt.date(2023, 6, 1), ["OF"], [zone], users["chef_projet08"])
    rows = suivi.follow_up_by_departement(dt.date(2026, 12, 1))
    assert [(code, f.par_etape) for code, f in rows] == [("08", {Zone.ORDONNEE: 1})] and rows[0][1].en_retard[0][1] == (
        dt.date(2026, 12, 1) - dt.date(2025, 6, 1)
    ).days
    client.force_login(users["chef_projet23"])  # another département's team sees France, not the Ardennes' page
    page = client.get("/couverture/france/").content.decode()
    assert "Par département" in page and "(08)" in page and "/couverture/departements/08/" not in page
    client.force_login(users["chef_projet08"])
    assert "/couverture/departements/08/" in client.get("/couverture/france/").content.decode()
    client.force_login(users["elu_rethel"])  # a commune: no project team
    assert client.get("/couverture/france/").status_code == 404


def test_a_year_s_campaign_has_its_allotment_and_its_national_file(coverage_data, world, client):
    import csv
    import io

    import time_machine

    orgs, users = world
    with time_machine.travel(dt.datetime(2027, 3, 15, 10, tzinfo=dt.UTC), tick=False):
        zone, _ = _proposed(world)
        suivi.set_allocation("08", 2027, 0, users["chef_projet08"])
        found = suivi.campaign("08", 2027)
        assert found.proposees == [zone] and found.au_dela == [zone]  # nothing allotted: beyond
        with pytest.raises(services.Refused, match="entre 2018"):
            suivi.set_allocation("08", 2017, 3, users["chef_projet08"])
        client.force_login(users["chef_projet08"])
        page = client.post("/couverture/departements/08/", {"action": "dotation", "annee": "2027", "dotation": "4"}).content.decode()
        assert "Campagne 2027 : dotation de 4 zone(s)" in page and "?campagne=2027" in page
        body = client.get("/couverture/departements/08/zones.csv?campagne=2027").content.decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(body), delimiter=";"))
        assert rows[0][:4] == ["Année", "Département", "Dotation", "Dans la dotation"] and rows[1][:4] == ["2027", "08", "4", "oui"] and len(rows) == 2
        assert client.get("/couverture/departements/08/zones.csv?campagne=2026").content.decode("utf-8-sig").count("\n") == 1  # no proposal that year
    client.force_login(users["prefecture08"])  # reads, does not set the allotment
    assert client.post("/couverture/departements/08/", {"action": "dotation", "annee": "2027", "dotation": "9"}).status_code == 404


def test_a_zone_s_sheet_has_notes_and_photos_that_go_with_the_campaign_file(coverage_data, world, client):
    import csv
    import io

    import time_machine

    orgs, users = world
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
    with time_machine.travel(dt.datetime(2027, 3, 15, 10, tzinfo=dt.UTC), tick=False):
        zone, _ = _proposed(world)
        client.force_login(users["chef_projet08"])
        from django.core.files.uploadedfile import SimpleUploadedFile

        saved = client.post("/couverture/departements/08/", {"action": "fiche", "zone": zone.pk, "notes": "Ferme isolée, pas de réseau au fond du vallon.",
                                                              "legende": "Vue depuis la D 27", "photo": SimpleUploadedFile("vallon.png", png)})  # fmt: skip
        assert saved.status_code == 200 and f"Fiche de la zone {zone.numero} enregistrée" in saved.content.decode()
        wrong = client.post("/couverture/departements/08/", {"action": "fiche", "zone": zone.pk, "photo": SimpleUploadedFile("x.png", b"GIF89a")})
        assert wrong.status_code == 400 and "PNG ou JPEG" in wrong.content.decode()
        body = client.get("/couverture/departements/08/zones.csv?campagne=2027").content.decode("utf-8-sig")
        row = next(csv.DictReader(io.StringIO(body), delimiter=";"))
        assert row["Notes de l'équipe projet"].startswith("Ferme isolée") and row["Photos"] == "vallon.png (Vue depuis la D 27)"
    photo = zone.photos.get()
    client.force_login(users["prefecture08"])
    assert client.get(f"/couverture/zones/photos/{photo.pk}").content == png
    client.force_login(users["chef_projet23"])
    assert client.get(f"/couverture/zones/photos/{photo.pk}").status_code == 404
