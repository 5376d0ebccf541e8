"""The shared process: links, contributions, roles, consensus, perception against measure,
the frozen version and tracking, the action plan. Rules: docs/diagnostic-partage.md."""

import datetime as dt
import shutil

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core import mail
from django.utils import timezone

from terrinum.accounts.models import Membership, Organisation
from terrinum.apps.concertation import services
from terrinum.apps.concertation.models import Contribution, Demarche
from terrinum.diagnostic import partage

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def during_the_consultation():
    """The démarches of this module are open from 1 November to 31 December 2026: the clock is
    set inside that window (time-machine), so that no test depends on today's date."""
    with time_machine.travel(dt.datetime(2026, 11, 16, 9, 0, tzinfo=dt.UTC), tick=True):
        yield


CRETES = "240800862"  # CC des Crêtes Préardennaises


@pytest.fixture
def world():
    orgs = {
        "cretes": Organisation.objects.create(
            nom="CC des Crêtes Préardennaises", type=Organisation.COLLECTIVITE, territoire_niveau="epci", territoire_code=CRETES
        ),
        "signy": Organisation.objects.create(
            nom="Commune de Signy-l'Abbaye", type=Organisation.COLLECTIVITE, territoire_niveau="commune", territoire_code="08419"
        ),
        "ccas": Organisation.objects.create(nom="CCAS de Signy-l'Abbaye", type=Organisation.PRESCRIPTEUR),
        "creuse": Organisation.objects.create(
            nom="Département de la Creuse", type=Organisation.COLLECTIVITE, territoire_niveau="departement", territoire_code="23"
        ),
    }
    users = {}
    for name, org, role in (
        ("porteur", "cretes", Membership.GESTIONNAIRE),
        ("maire", "signy", Membership.GESTIONNAIRE),
        ("ccas", "ccas", Membership.GESTIONNAIRE),
        ("creuse", "creuse", Membership.ADMIN),
    ):
        users[name] = User.objects.create_user(name, password="x")
        Membership.objects.create(user=users[name], organisation=orgs[org], role=role)
    d = services.open_demarche(
        orgs["cretes"], "epci", CRETES, "Diagnostic numérique des Crêtes 2026", dt.date(2026, 11, 1), dt.date(2026, 12, 31), users["porteur"]
    )
    return orgs, users, d


def test_consensus_on_known_distributions():
    assert services.consensus([3, 3, 3, 3]) == 1
    assert services.consensus([1, 1, 5, 5]) == pytest.approx(0)
    assert services.consensus([1, 2, 3, 4, 5]) == pytest.approx(1 + 2 * 0.2 * (-1) + 2 * 0.2 * (-0.4150375), abs=1e-6)  # log2(0.5) = -1, log2(0.75)
    assert 0 < services.consensus([4, 4, 5]) < 1 and services.consensus([]) is None
    assert services.consensus([4, 4, 5]) > services.consensus([2, 4, 5])


def test_links_open_the_form_of_their_demarche_only_until_revoked_or_expired(world):
    orgs, users, d = world
    with pytest.raises(services.Refused, match="porteur"):
        services.invite_link(d, "Médiathèque", "m@exemple.fr", users["maire"])
    p, token = services.invite_link(d, "Médiathèque de Signy", "m@exemple.fr", users["porteur"])
    assert services.participant_for_link(token) == p and len(token) >= 40 and p.empreinte != token
    # valid exactly as long as the consultation the invitation announces (it said 06/01 for a 31/01 end)
    assert timezone.localtime(p.expire_le).date() == d.fin and timezone.localtime(p.expire_le).time() == dt.time(23, 59, 59)
    with pytest.raises(services.Refused, match="n'existe pas") as e:
        services.participant_for_link(token[:-1] + ("A" if token[-1] != "A" else "B"))
    assert e.value.status == 404
    services.revoke(p, users["porteur"])
    with pytest.raises(services.Refused, match="révoqué"):
        services.participant_for_link(token)
    old, old_token = services.invite_link(d, "Association", "", users["porteur"])
    type(old).objects.filter(pk=old.pk).update(expire_le=timezone.now() - dt.timedelta(minutes=1))
    with pytest.raises(services.Refused, match="expiré") as e:
        services.participant_for_link(old_token)
    assert e.value.status == 410


def test_every_commune_is_invited_in_one_transaction_with_its_town_hall_address(world):
    orgs, users, d = world
    made = services.invite_communes(d, users["porteur"])
    assert len(made) == 94 and d.participants.count() == 94  # the 94 communes of the Crêtes Préardennaises (COG 2024)
    signy = next(p for p, _ in made if "(08419)" in p.nom)
    assert signy.email == "mairie@signylabbaye.fr"
    assert services.mail_invitations(d, made, "https://terrinum.exemple.fr") == sum(1 for p, _ in made if p.email)
    assert "/contribuer/" in mail.outbox[0].body and mail.outbox[0].to
    assert services.invite_communes(d, users["porteur"]) == []  # already invited


def test_contributions_drafts_submission_and_who_sees_them(world):
    orgs, users, d = world
    mairie = services.invite_organisation(d, orgs["signy"], users["porteur"])
    with pytest.raises(services.Refused, match="pas ouverte"):
        services.contribute(mairie, "connectivite-mobile", 5)
    services.move(d, Demarche.CONSULTATION, users["porteur"])
    report = services.ReportIn("zone-blanche", "Hameau de la Vallée : pas de 4G", commune_code="08419")
    draft = services.contribute(mairie, "connectivite-mobile", 5, "Pas de réseau dans les hameaux", "Un pylône", [report])
    assert draft.statut == "brouillon" and draft.signalements.count() == 1
    assert services.consolidate(d)[1].reponses == 0  # a draft is not counted
    services.contribute(mairie, "connectivite-mobile", 4, submit=True)
    with pytest.raises(services.Refused, match="déjà envoyée"):
        services.contribute(mairie, "connectivite-mobile", 1)
    with pytest.raises(services.Refused, match="commune inconnue"):
        services.contribute(mairie, "inclusion", 3, reports=[services.ReportIn("autre", "x", commune_code="99999")])
    assert services.participant_of(users["maire"], d) == mairie and services.participant_of(users["ccas"], d) is None
    assert list(services.visible_to(users["creuse"])) == [] and list(services.visible_to(users["maire"])) == [d]
    c = Contribution.objects.get(participant=mairie, theme="connectivite-mobile")
    with pytest.raises(services.Refused):
        services.moderate(c, users["maire"], "hors sujet")
    services.moderate(c, users["porteur"], "Propos nominatifs")
    from django.contrib.admin.models import LogEntry

    assert LogEntry.objects.get(object_id=str(c.pk)).change_message == "masquée : Propos nominatifs"
    assert services.consolidate(d)[1].reponses == 0


def _summary(theme, levels):
    s = services.ThemeSummary(theme, dict(services.THEMES)[theme], {k: levels.count(k) for k in range(1, 6)})
    s.moyenne = sum(levels) / len(levels)
    return s


def test_perception_against_measure_both_ways():
    good_mobile = {"part_4g": {"valeur": 99.4, "demo": False, "libelle": "", "unite": "%"}}
    flags = partage.perception_vs_measure([_summary("connectivite-mobile", [5, 4, 5, 4])], good_mobile)
    assert [f["sens"] for f in flags] == ["ressenti-plus-difficile"] and "99,4 %" in flags[0]["texte"] and "4,5 sur 5" in flags[0]["texte"]
    bad_fixed = {"part_30mbits": {"valeur": 52.0, "demo": False, "libelle": "", "unite": "%"}}
    flags = partage.perception_vs_measure([_summary("connectivite-fixe", [1, 2, 2])], bad_fixed)
    assert [f["sens"] for f in flags] == ["ressenti-plus-facile"] and "52,0 %" in flags[0]["texte"]
    assert partage.perception_vs_measure([_summary("connectivite-fixe", [4, 5, 4])], bad_fixed) == []  # they agree
    assert partage.perception_vs_measure([_summary("connectivite-mobile", [5, 5])], good_mobile) == []  # too few answers
    fragile = {"indice_fragilite": {"valeur": 7.2, "demo": True, "libelle": "", "unite": "sur 10"}}
    assert partage.perception_vs_measure([_summary("inclusion", [1, 1, 2])], fragile)[0]["sens"] == "ressenti-plus-facile"  # lower is better


def test_the_financing_plan_adds_up(world):
    orgs, users, d = world
    Demarche.objects.filter(pk=d.pk).update(statut=Demarche.VALIDEE, validee_le=timezone.now())
    d.refresh_from_db()
    a = services.add_action(
        d,
        users["porteur"],
        intitule="Deux conseillers numériques",
        porteur="CC des Crêtes",
        investissement_centimes=0,
        fonctionnement_centimes=12_000_000,
        debut=dt.date(2027, 1, 1),
        fin=dt.date(2028, 12, 31),
    )
    b = services.add_action(
        d,
        users["porteur"],
        intitule="Pylône de la Vallée",
        porteur="Département",
        investissement_centimes=20_000_000,
        fonctionnement_centimes=0,
        debut=dt.date(2027, 1, 1),
        fin=dt.date(2027, 12, 31),
    )
    services.add_financing(a, users["porteur"], "État (ANCT)", 2027, 5_000_000)
    services.add_financing(a, users["porteur"], "État (ANCT)", 2028, 5_000_000)
    services.add_financing(b, users["porteur"], "Département", 2027, 8_000_000)
    plan = services.financing_plan(d)
    assert plan["cout_centimes"] == 32_000_000 and plan["finance_centimes"] == 18_000_000 and plan["reste_centimes"] == 14_000_000
    assert plan["par_annee"] == [{"annee": 2027, "montant": 13_000_000}, {"annee": 2028, "montant": 5_000_000}]
    assert plan["par_financeur"][0] == {"financeur": "État (ANCT)", "montant": 10_000_000}
    with pytest.raises(services.Refused):
        services.add_financing(a, users["maire"], "Région", 2027, 1)


def _pdf_text(d) -> str:
    import io

    import pypdf

    from terrinum.web.partage import frozen_pdf

    return " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(frozen_pdf(d))).pages)


def test_a_validated_diagnostic_stays_frozen_while_tracking_reads_new_vintages(world, demo_data_dir, tmp_path, monkeypatch):
    from terrinum.pillars import publication
    from terrinum.pillars.ingest import ingest as ingest_source

    data = tmp_path / "donnees"
    shutil.copytree(demo_data_dir, data)
    monkeypatch.setenv("TERRINUM_DATA_DIR", str(data))
    orgs, users, _ = world
    d = services.open_demarche(orgs["signy"], "commune", "08419", "Signy 2026", dt.date(2026, 11, 1), dt.date(2026, 12, 31), users["maire"])
    services.move(d, Demarche.CONSULTATION, users["maire"])
    services.move(d, Demarche.CONSOLIDATION, users["maire"])
    partage.validate(d, users["maire"])
    frozen = d.gel["indicateurs"]["part_30mbits"]["valeur"]
    a = services.add_action(
        d, users["maire"], intitule="Montée en débit", porteur="Commune", debut=dt.date(2027, 1, 1), fin=dt.date(2027, 12, 31),
        indicateur="part_30mbits", valeur_reference=frozen, valeur_cible=99.0, date_cible=dt.date(2027, 12, 31),
    )  # fmt: skip
    before = dict(d.gel)
    pdf_before = _pdf_text(d)
    header = "code_insee;nom_com;code_dep;code_reg;nbr;type;inel_hd;elig_hd05;elig_hd3;elig_bhd8;elig_thd30;elig_thd100;elig_thd1g;date\n"
    (tmp_path / "2026.csv").write_text(header + "08419;Signy-l'Abbaye;08;44;700;all;0;700;700;700;700;600;500;2026-06-30\n", encoding="utf-8")
    with publication.next_version(data / "warehouse.duckdb") as con:
        ingest_source(con, "arcep-mci-communes", tmp_path / "2026.csv")
    d.refresh_from_db()
    assert d.gel == before and d.gel["indicateurs"]["part_30mbits"]["valeur"] == frozen
    assert _pdf_text(d) == pdf_before and f"{frozen:.1f}".replace(".", ",") in pdf_before  # the PDF, written again, says the same
    assert frozen < 99
    (t,) = partage.track(d, today=dt.date(2027, 6, 30))
    assert t.actuelle == pytest.approx(100.0) and t.etat == "atteint" and t.action == a  # every premises at 30 Mbit/s in 2026T2
    assert partage.headline_values(partage.territory_of(d), ["part_30mbits"])["part_30mbits"]["valeur"] == pytest.approx(100.0)


def test_tracking_states_on_a_straight_line(world, monkeypatch):
    orgs, users, d = world
    Demarche.objects.filter(pk=d.pk).update(statut=Demarche.VALIDEE, validee_le=dt.datetime(2027, 1, 1, 12, tzinfo=dt.UTC))
    d.refresh_from_db()
    a = services.add_action(d, users["porteur"], intitule="Fibre", porteur="Région", debut=dt.date(2027, 1, 1), fin=dt.date(2028, 12, 31),
                            indicateur="part_ftth", valeur_reference=60.0, valeur_cible=80.0, date_cible=dt.date(2028, 12, 31))  # fmt: skip
    for now, expected in ((75.0, "en-avance"), (62.0, "en-retard"), (81.0, "atteint")):
        monkeypatch.setattr(partage, "headline_values", lambda t, keys, now=now: {"part_ftth": {"valeur": now}})
        (t,) = partage.track(d, today=dt.date(2028, 1, 1))  # half way: 70 expected
        assert (t.etat, round(t.attendue)) == (expected, 70), now
    assert a.pk == t.action.pk
