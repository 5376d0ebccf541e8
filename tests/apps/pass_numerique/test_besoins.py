"""« Faire le point »: the needs assessment, its rules, what it keeps, and the territory's view."""

import pytest

from terrinum.apps.pass_numerique import besoins
from terrinum.apps.pass_numerique.models import Autodiagnostic

ALL = dict.fromkeys(besoins.KEYS, besoins.OUI)


def test_someone_at_ease_needs_no_carnet():
    r = besoins.assess(ALL)
    assert (r.profil, r.points, r.services, r.cheques) == ("autonome", 24, (), 0)


def test_someone_without_anything_gets_every_help_and_a_carnet_of_ten():
    r = besoins.assess(dict.fromkeys(besoins.KEYS, besoins.NON))
    assert r.profil == "premiers-pas" and r.cheques == 10
    assert set(r.services) == {q[3] for q in besoins.QUESTIONS} | {"Acquisition de matériel informatique à prix solidaire"}


def test_each_kind_of_help_comes_from_its_own_questions():
    for service in {q[3] for q in besoins.QUESTIONS}:
        answers = {k: (besoins.NON if s == service else besoins.OUI) for k, _, _, s in besoins.QUESTIONS}
        r = besoins.assess(answers)
        assert service in r.services, service
        assert set(r.services) <= {service, "Acquisition de matériel informatique à prix solidaire"}, (service, r.services)
    # half the points of a kind of help lost: proposed; less: not
    answers = {**ALL, "franceconnect": besoins.AIDE, "demarches": besoins.AIDE}
    assert besoins.assess(answers).services == ("Aide aux démarches administratives",)
    assert besoins.assess({**ALL, "franceconnect": besoins.AIDE}).services == ()


def test_bad_answers_are_named():
    with pytest.raises(ValueError, match="1 question"):
        besoins.assess({k: v for k, v in ALL.items() if k != "video"})
    with pytest.raises(ValueError, match="courriel"):
        besoins.assess({**ALL, "courriel": "peut-être"})


pytestmark = pytest.mark.django_db


def _post(client, answers, commune="23000", address="192.0.2.1"):
    return client.post("/faire-le-point/", {**answers, "commune": commune}, REMOTE_ADDR=address)


def test_the_page_keeps_only_the_commune_and_the_answers(client):
    assert client.get("/faire-le-point/").status_code == 200
    answers = {**ALL, "franceconnect": besoins.NON, "demarches": besoins.NON}
    page = _post(client, answers)
    html = page.content.decode()
    assert page.status_code == 200 and "Aide aux démarches administratives" in html and "Guéret" in html
    (kept,) = Autodiagnostic.objects.all()
    assert {f.name for f in Autodiagnostic._meta.get_fields()} == {"id", "commune_code", "reponses", "profil", "jour", "source"}
    assert len(kept.source) == 16 and "192.0.2.1" not in kept.source  # a keyed hash of the address and the day
    assert (kept.commune_code, kept.reponses, kept.profil) == ("23096", answers, besoins.assess(answers).profil)
    assert _post(client, {k: v for k, v in answers.items() if k != "courriel"}).status_code == 400
    assert _post(client, answers, commune="Nullepart-sur-Rien").status_code == 400
    assert Autodiagnostic.objects.count() == 1


def test_a_territory_shows_its_answers_from_ten_on(client, demo_warehouse):
    for n in range(9):
        _post(client, dict.fromkeys(besoins.KEYS, besoins.AIDE), address=f"192.0.2.{n + 1}")
    html = client.get("/territoires/commune/23096/").content.decode()
    assert "Moins de 10 habitants de Guéret ont répondu" in html
    _post(client, ALL, address="192.0.2.100")
    html = client.get("/territoires/commune/23096/").content.decode()
    assert "10 habitants de Guéret ont répondu" in html and "90,0 %" in html  # nine of ten "à consolider"


def test_a_flood_from_one_connection_neither_fills_the_threshold_nor_reveals_the_next_answer(client, demo_warehouse):
    """49 answers in 2 s from one connection filled a small commune up to the 10-answer
    threshold; the next real answer could then be read exactly. One connection now counts
    once a day in the published figures, and only MAX_ANSWERS_PER_SOURCE of its answers are
    kept at all; the person still gets the result."""
    from terrinum.apps.pass_numerique import services

    flood = [_post(client, dict.fromkeys(besoins.KEYS, besoins.AIDE), address="203.0.113.7") for _ in range(49)]
    assert all(r.status_code == 200 and "Votre profil" in r.content.decode() for r in flood)
    assert Autodiagnostic.objects.count() == services.MAX_ANSWERS_PER_SOURCE
    assert "n'a pas été gardée" in flood[-1].content.decode() and "n'a pas été gardée" not in flood[0].content.decode()
    real = _post(client, ALL, address="198.51.100.23")  # the next real answer
    assert real.status_code == 200
    assert services.assessments_in(["23096"]) is None  # 2 connections, not 10 answers: nothing published
    html = client.get("/territoires/commune/23096/").content.decode()
    assert "Moins de 10 habitants de Guéret ont répondu" in html
