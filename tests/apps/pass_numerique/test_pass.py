"""The Pass numérique: codes, the life of a voucher, its ledger, expiry, settlement, roles."""

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from terrinum.accounts.models import Organisation
from terrinum.accounts.services import issue_token, revoke_token
from terrinum.apps.inclusion import services as places
from terrinum.apps.pass_numerique import codes, services
from terrinum.apps.pass_numerique.models import Cheque, Mouvement, Reglement
from terrinum.territories.helpers import TerritorySet
from tests.apps.pass_numerique.conftest import hand_out

# --- codes ---------------------------------------------------------------------------------


@given(st.data())
def test_the_check_character_catches_every_substitution_and_adjacent_transposition(data):
    code = codes.new_code()
    assert codes.normalise(code) == code
    i = data.draw(st.integers(0, len(code) - 1))
    other = data.draw(st.sampled_from([c for c in codes.ALPHABET if c != code[i]]))
    with pytest.raises(codes.CodeError):
        codes.normalise(code[:i] + other + code[i + 1 :])
    j = data.draw(st.integers(0, len(code) - 2))
    if code[j] != code[j + 1]:
        with pytest.raises(codes.CodeError):
            codes.normalise(code[:j] + code[j + 1] + code[j] + code[j + 2 :])


def test_codes_read_as_typed():
    code = codes.new_code()
    assert codes.normalise(codes.display(code).lower()) == code
    assert codes.normalise(" " + code.replace("0", "O").replace("1", "l")) == code  # what people read
    with pytest.raises(codes.CodeError, match="13 caractères"):
        codes.normalise(code[:-1])
    with pytest.raises(codes.CodeError, match="impossible"):
        codes.normalise(code[:-1] + "Z")


# --- the life of a voucher -----------------------------------------------------------------

pytestmark = pytest.mark.django_db


def test_a_voucher_is_used_once_and_its_ledger_tells_its_life(world):
    orgs, lieux_, users, programme = world
    assert programme.cheques.count() == 15 and set(programme.cheques.values_list("etat", flat=True)) == {"emis"}
    first = programme.cheques.first().code
    with pytest.raises(services.Refused, match="pas encore été remis"):
        services.redeem(first, lieux_["gueret"], users["conseillere"])
    code = hand_out(programme, orgs)[0]
    used = services.redeem(codes.display(code), lieux_["gueret"], users["conseillere"])
    assert used.etat == "utilise" and used.lieu == lieux_["gueret"]
    with pytest.raises(services.Refused, match="déjà utilisé"):
        services.redeem(code, lieux_["gueret"], users["conseillere"])
    assert list(Mouvement.objects.filter(cheque=used).values_list("de", "vers")) == [("", "emis"), ("emis", "attribue"), ("attribue", "utilise")]
    assert services.check_ledger() == []
    with pytest.raises(ValueError):
        Mouvement.objects.first().delete()


def test_who_may_redeem_where(world):
    orgs, lieux_, users, programme = world
    code = hand_out(programme, orgs)[0]
    with pytest.raises(services.Refused) as refused:  # a prescriber is not a place
        services.redeem(code, lieux_["gueret"], users["travailleuse"])
    assert refused.value.status == 403
    with pytest.raises(services.Refused, match="pas accepté"):  # a Creuse programme, a place of the Ardennes
        services.redeem(code, lieux_["signy"], users["signy"])
    services.qualify(lieux_["gueret"], programme, users["financeur"], "suspendu", "pièces justificatives à compléter")
    with pytest.raises(services.Refused, match="pas accepté"):
        services.redeem(code, lieux_["gueret"], users["conseillere"])


def test_a_place_cannot_take_another_territory_s_vouchers(world):
    """The open door of the last release: a place of the Ardennes moves itself into the Creuse
    and labels itself, then redeems a Creuse voucher. Its account can do neither; only the
    Creuse (the programme's funder) qualifies places for its programme, and only in its
    territory; the decision records who and when, and counts on the day of use."""
    orgs, lieux_, users, programme = world
    code = hand_out(programme, orgs)[0]
    signy, signy_user = lieux_["signy"], users["signy"]
    with pytest.raises(PermissionError, match="commune"):  # its account moves it to Guéret
        places.update_place(signy, {"code_insee": "23096", "code_postal": "23000", "commune": "Guéret", "latitude": "46.17", "longitude": "1.87"}, signy_user)
    with pytest.raises(PermissionError, match="hors de la commune"):  # only its position, into the Creuse
        places.update_place(signy, {"latitude": "46.17", "longitude": "1.87"}, signy_user)
    with pytest.raises(ValueError):  # the Pass label is no field of the place's
        places.update_place(signy, {}, signy_user, labels={"pass_numerique": True})
    with pytest.raises(PermissionError, match="Comptoir"):
        places.update_place(signy, {}, signy_user, labels={"comptoir_numerique": True})
    places.update_place(signy, {"latitude": "49.7", "longitude": "4.419"}, signy_user)  # a correction inside its commune is fine
    signy.refresh_from_db()
    assert signy.commune_code == "08419" and not signy.pass_numerique and not signy.comptoir_numerique
    for who in (signy_user, users["conseillere"], users["financeur08"], users["travailleuse"]):  # nobody but the Creuse qualifies
        with pytest.raises(services.Refused) as refused:
            services.qualify(signy, programme, who)
        assert refused.value.status == 403, who
    with pytest.raises(services.Refused, match="pas dans le territoire"):
        services.qualify(signy, programme, users["financeur"])
    with pytest.raises(services.Refused, match="pas accepté"):
        services.redeem(code, signy, signy_user)
    assert not services.Qualification.objects.filter(lieu=signy).exists()


def test_eligibility_is_the_standing_on_the_day_of_use(world):
    orgs, lieux_, users, programme = world
    codes_ = hand_out(programme, orgs)
    tz = timezone.get_current_timezone()
    year = programme.fin_validite.year
    gueret = lieux_["gueret"]
    services.qualify(gueret, programme, users["financeur"], "retire", "convention non renouvelée", now=dt.datetime(year, 6, 1, tzinfo=tz))
    services.qualify(gueret, programme, users["financeur"], now=dt.datetime(year, 9, 1, tzinfo=tz))
    assert services.redeem(codes_[0], gueret, users["conseillere"], now=dt.datetime(year, 5, 31, 12, tzinfo=tz)).etat == "utilise"
    with pytest.raises(services.Refused, match="pas accepté"):  # withdrawn that summer
        services.redeem(codes_[1], gueret, users["conseillere"], now=dt.datetime(year, 7, 14, 12, tzinfo=tz))
    assert services.redeem(codes_[1], gueret, users["conseillere"], now=dt.datetime(year, 9, 2, 12, tzinfo=tz)).etat == "utilise"
    with pytest.raises(services.Refused, match="motif"):
        services.qualify(gueret, programme, users["financeur"], "refuse")
    steps = list(gueret.qualifications_pass.values_list("decision", "par__username"))
    assert steps == [("qualifie", "financeur"), ("retire", "financeur"), ("qualifie", "financeur")]
    with pytest.raises(ValueError):
        gueret.qualifications_pass.first().delete()


def test_wrong_codes_are_refused_before_any_lookup_and_throttled(world):
    orgs, lieux_, users, programme = world
    code = hand_out(programme, orgs)[0]
    typo = code[:3] + ("A" if code[3] != "A" else "B") + code[4:]
    with pytest.raises(services.Refused, match="mal saisi"):
        services.redeem(typo, lieux_["gueret"], users["conseillere"])
    unknown = codes.new_code()
    for _ in range(9):
        with pytest.raises(services.Refused, match="aucun chèque"):
            services.redeem(unknown, lieux_["gueret"], users["conseillere"])
    with pytest.raises(services.Refused) as refused:  # the 11th try, even with a right code
        services.redeem(code, lieux_["gueret"], users["conseillere"])
    assert refused.value.status == 429


def test_expiry_at_the_year_boundary_credits_back(world):
    orgs, lieux_, users, programme = world
    codes_ = hand_out(programme, orgs)
    jan_31 = dt.datetime.combine(programme.fin_tolerance, dt.time(12), tzinfo=timezone.get_current_timezone())
    services.redeem(codes_[0], lieux_["gueret"], users["conseillere"], now=jan_31)  # tolerated to 31 January
    with pytest.raises(services.Refused, match="périmé"):
        services.redeem(codes_[1], lieux_["gueret"], users["conseillere"], now=jan_31 + dt.timedelta(days=1))
    assert services.expire(programme.fin_tolerance) == {}  # not before the day after
    assert services.expire(programme.fin_tolerance + dt.timedelta(days=1)) == {programme.pk: 14}
    assert services.expire(programme.fin_tolerance + dt.timedelta(days=2)) == {}
    summary = services.funder_summary(programme)
    assert summary["etats"] == {"utilise": 1, "expire": 14} and summary["credites_centimes"] == 14_000
    assert summary["commandes_centimes"] == 15_000 and summary["frais_centimes"] == 600  # 4 % of the 15 vouchers ordered, used or not
    assert services.check_ledger() == []


def test_a_month_is_settled_once(world):
    orgs, lieux_, users, programme = world
    code_a, code_b = hand_out(programme, orgs)[:2]
    march = dt.datetime(programme.fin_validite.year, 3, 14, 10, tzinfo=timezone.get_current_timezone())
    services.redeem(code_a, lieux_["gueret"], users["conseillere"], now=march)
    services.redeem(code_b, lieux_["gueret"], users["conseillere"], now=march + dt.timedelta(days=30))  # April
    month = f"{march.year}-03"
    with pytest.raises(services.Refused, match="pas terminé"):
        services.settle(month, today=march.date())
    made = services.settle(month, today=dt.date(march.year, 4, 1))
    assert [(r.lieu_id, r.cheques, r.montant_centimes) for r in made] == [(lieux_["gueret"].pk, 1, 1000)]
    assert services.settle(month, today=dt.date(march.year, 4, 1)) == []  # the rerun changes nothing
    assert Reglement.objects.count() == 1 and Cheque.objects.get(code=code_a).etat == "rembourse"
    assert Cheque.objects.get(code=code_b).etat == "utilise"
    assert services.check_ledger() == []


def test_the_statement_s_lines_and_its_vouchers_are_checked_against_each_other(world):
    """The settlement writes per programme lines that add up to the statement; the check
    recounts them from the vouchers, and finds a voucher moved to another month's statement
    (the column is not a database foreign key: models.Cheque.reglement)."""
    orgs, lieux_, users, programme = world
    codes_ = hand_out(programme, orgs)
    march = dt.datetime(programme.fin_validite.year, 3, 14, 10, tzinfo=timezone.get_current_timezone())
    for code, when in zip(codes_[:3], [march, march, march + dt.timedelta(days=30)], strict=True):
        services.redeem(code, lieux_["gueret"], users["conseillere"], now=when)
    [in_march] = services.settle(f"{march.year}-03", today=dt.date(march.year, 4, 1))
    [in_april] = services.settle(f"{march.year}-04", today=dt.date(march.year, 5, 1))
    assert [(line.programme_id, line.cheques, line.montant_centimes) for line in in_march.lignes.all()] == [(programme.pk, 2, 2000)]
    assert services.check_ledger() == []
    Cheque.objects.filter(code=codes_[0]).update(reglement=in_april)
    assert services.check_ledger() == [
        f"chèque {codes_[0]} : le relevé {in_april.pk} n'est pas celui de son lieu pour le mois de son utilisation",
        f"relevé {in_march.pk}, programme {programme.pk} : 1 chèque(s) payé(s), 2 à sa ligne",
        f"relevé {in_april.pk}, programme {programme.pk} : 2 chèque(s) payé(s), 1 à sa ligne",
    ]
    Cheque.objects.filter(code=codes_[0]).update(reglement=in_march)
    in_march.lignes.update(cheques=3)
    assert services.check_ledger() == [
        f"relevé {in_march.pk}, programme {programme.pk} : 2 chèque(s) payé(s), 3 à sa ligne",
        f"relevé {in_march.pk} : ses totaux ne sont pas la somme de ses lignes",
    ]


def test_a_failed_settlement_leaves_nothing(world):
    orgs, lieux_, users, programme = world
    codes_ = hand_out(programme, orgs)
    march = dt.datetime(programme.fin_validite.year, 3, 14, 10, tzinfo=timezone.get_current_timezone())
    services.redeem(codes_[0], lieux_["gueret"], users["conseillere"], now=march)

    def crash(n):
        raise RuntimeError("arrêt au milieu")

    with pytest.raises(RuntimeError):
        services.settle(f"{march.year}-03", today=dt.date(march.year, 4, 1), pause=crash)
    assert Reglement.objects.count() == 0 and Cheque.objects.get(code=codes_[0]).etat == "utilise"
    assert not Mouvement.objects.filter(vers="rembourse").exists()


def test_the_purge_removes_old_beneficiaries_only(world):
    orgs, lieux_, users, programme = world
    hand_out(programme, orgs)
    assert services.purge_beneficiaries(today=programme.fin_tolerance) == 0
    assert services.purge_beneficiaries(today=programme.fin_tolerance + dt.timedelta(days=services.RETENTION_DAYS + 1)) == 1
    assert programme.carnets_emis.get(numero=1).beneficiaire is None


# --- API and roles -------------------------------------------------------------------------


def test_api_roles(client, world):
    orgs, lieux_, users, programme = world
    code = hand_out(programme, orgs)[0]
    url = f"/api/v1/pass-numerique/cheques/{code}"
    redeem = url + "/utilisation"
    assert client.get(url).status_code == 401 and client.post(redeem, {"lieu": lieux_["gueret"].pk}, content_type="application/json").status_code == 401
    token = issue_token("travailleuse")
    as_prescriber = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert client.post(redeem, {"lieu": lieux_["gueret"].pk}, content_type="application/json", **as_prescriber).status_code == 403
    assert client.get(url, **as_prescriber).json()["etat"] == "attribue"  # it handed the carnet out
    place_token = {"HTTP_AUTHORIZATION": f"Bearer {issue_token('conseillere')}"}
    assert client.get(url, **place_token).status_code == 404  # not yet its voucher: as if unknown
    answer = client.post(redeem, {"lieu": lieux_["gueret"].pk}, content_type="application/json", **place_token)
    assert answer.status_code == 200 and answer.json()["etat"] == "utilise"
    assert client.post(redeem, {"lieu": lieux_["gueret"].pk}, content_type="application/json", **place_token).status_code == 409
    assert client.get(url, **place_token).json()["lieu"] == lieux_["gueret"].pk
    client.force_login(users["financeur08"])  # the session works too; another funder sees nothing
    assert client.get(url).status_code == 404 and client.get("/api/v1/pass-numerique/programmes").json() == []
    client.force_login(users["financeur"])
    assert [p["id"] for p in client.get("/api/v1/pass-numerique/programmes").json()] == [programme.pk]
    client.logout()
    revoke_token("conseillere")
    assert client.get(url, **place_token).status_code == 401


def test_statements_are_seen_by_their_place_and_funder_only(client, world):
    orgs, lieux_, users, programme = world
    code = hand_out(programme, orgs)[0]
    march = dt.datetime(programme.fin_validite.year, 3, 14, 10, tzinfo=timezone.get_current_timezone())
    services.redeem(code, lieux_["gueret"], users["conseillere"], now=march)
    services.settle(f"{march.year}-03", today=dt.date(march.year, 4, 1))
    for user, seen in (("conseillere", 1), ("financeur", 1), ("signy", 0), ("financeur08", 0), ("travailleuse", 0)):
        client.force_login(users[user])
        assert len(client.get("/api/v1/pass-numerique/reglements").json()) == seen, user


# --- pages ---------------------------------------------------------------------------------


def test_the_pages_of_each_role(client, world):
    orgs, lieux_, users, programme = world
    assert client.get("/pass-numerique/").status_code == 302  # to the login page
    code = programme.carnets_emis.get(numero=2).cheques.first().code
    client.force_login(users["travailleuse"])
    page = client.get("/pass-numerique/").content.decode()
    assert "Remettre un carnet" in page and "Utiliser un chèque" not in page and "Programmes financés" not in page
    answer = client.post(
        "/pass-numerique/",
        {"action": "remettre", "code": codes.display(code), "prescripteur": orgs["ccas"].pk, "age": "75-plus", "commune": "23096", "motif": "démarches"},
    )
    assert answer.status_code == 200 and "Carnet 2 remis" in answer.content.decode() and "pass=1" in answer.content.decode()
    again = client.post(
        "/pass-numerique/", {"action": "remettre", "code": code, "prescripteur": orgs["ccas"].pk, "age": "75-plus", "commune": "23096", "motif": "x"}
    )
    assert again.status_code == 409 and "déjà été remis" in again.content.decode()
    short = client.post(
        "/pass-numerique/", {"action": "remettre", "code": "ABCD", "prescripteur": orgs["ccas"].pk, "age": "75-plus", "commune": "23096", "motif": "x"}
    )
    assert short.status_code == 400 and "13 caractères" in short.content.decode()
    refused = client.post("/pass-numerique/", {"action": "utiliser", "code": code, "lieu": lieux_["gueret"].pk})
    assert refused.status_code == 403 and Cheque.objects.get(code=code).etat == "attribue"
    client.force_login(users["conseillere"])
    page = client.get("/pass-numerique/").content.decode()
    assert "Utiliser un chèque" in page and "Remettre un carnet" not in page
    used = client.post("/pass-numerique/", {"action": "utiliser", "code": code.lower(), "lieu": lieux_["gueret"].pk})
    assert used.status_code == 200 and "utilisé à" in used.content.decode() and Cheque.objects.get(code=code).etat == "utilise"
    typo = client.post("/pass-numerique/", {"action": "utiliser", "code": code[:-1] + ("0" if code[-1] != "0" else "1"), "lieu": lieux_["gueret"].pk})
    assert typo.status_code == 400 and "mal saisi" in typo.content.decode()
    client.force_login(users["financeur"])
    page = client.get("/pass-numerique/").content.decode()
    assert programme.nom in page and "23096" in page and "Médiathèque du Grand Guéret" in page
    assert "<svg" in page and "Guéret : 1 chèque(s)" in page  # the map of use by commune
    client.force_login(users["financeur08"])
    assert programme.nom not in client.get("/pass-numerique/").content.decode()


def _photo(text: str | None, name="photo.jpg"):
    """A phone's photo of a voucher: its QR code (as printed in the carnet) on a grey page,
    a little rotated; or a page with no QR code."""
    import io

    import segno
    from PIL import Image

    page = Image.new("RGB", (1200, 900), (200, 200, 190))
    if text is not None:
        qr = io.BytesIO()
        segno.make(text, error="m").save(qr, kind="png", scale=8, border=2)
        qr.seek(0)
        page.paste(Image.open(qr).convert("RGB").rotate(7, expand=True, fillcolor=(200, 200, 190)), (300, 200))
    out = io.BytesIO()
    page.save(out, "JPEG", quality=85)
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def test_a_voucher_is_redeemed_and_a_carnet_handed_out_from_a_photo_of_its_qr_code(client, world):
    orgs, lieux_, users, programme = world
    carnet = programme.carnets_emis.get(numero=2)
    first, second = carnet.cheques.order_by("id").values_list("code", flat=True)[:2]
    client.force_login(users["travailleuse"])
    answer = client.post(
        "/pass-numerique/",
        {
            "action": "remettre",
            "code": "",
            "photo": _photo(codes.display(first)),
            "prescripteur": orgs["ccas"].pk,
            "age": "75-plus",
            "commune": "23096",
            "motif": "démarches",
        },
    )
    assert answer.status_code == 200 and "Carnet 2 remis" in answer.content.decode()
    client.force_login(users["conseillere"])
    used = client.post("/pass-numerique/", {"action": "utiliser", "code": "", "photo": _photo(codes.display(second)), "lieu": lieux_["gueret"].pk})
    assert used.status_code == 200 and Cheque.objects.get(code=second).etat == "utilise" and Cheque.objects.get(code=first).etat == "attribue"
    blank = client.post("/pass-numerique/", {"action": "utiliser", "code": "", "photo": _photo(None), "lieu": lieux_["gueret"].pk})
    assert blank.status_code == 400 and "Aucun QR code lisible" in blank.content.decode()
    text = SimpleUploadedFile("notes.jpg", b"not an image", content_type="image/jpeg")
    assert "pas une photo lisible" in client.post("/pass-numerique/", {"action": "utiliser", "photo": text, "lieu": lieux_["gueret"].pk}).content.decode()
    nothing = client.post("/pass-numerique/", {"action": "utiliser", "code": "", "lieu": lieux_["gueret"].pk})
    assert nothing.status_code == 400 and "joignez une photo" in nothing.content.decode()
    mistyped = codes.display(first)[:-1] + ("0" if first[-1] != "0" else "1")  # a QR code that is not a voucher's
    assert "mal saisi" in client.post("/pass-numerique/", {"action": "utiliser", "photo": _photo(mistyped), "lieu": lieux_["gueret"].pk}).content.decode()


def test_a_statement_is_downloaded_by_its_place_and_funder_only(client, world):
    import io

    import pypdf

    orgs, lieux_, users, programme = world
    code = hand_out(programme, orgs)[0]
    march = dt.datetime(programme.fin_validite.year, 3, 14, 10, tzinfo=timezone.get_current_timezone())
    services.redeem(code, lieux_["gueret"], users["conseillere"], now=march)
    (r,) = services.settle(f"{march.year}-03", today=dt.date(march.year, 4, 1))
    for user, status in (("conseillere", 200), ("financeur", 200), ("signy", 403), ("financeur08", 403), ("travailleuse", 403)):
        client.force_login(users[user])
        answer = client.get(f"/pass-numerique/releves/{r.pk}.csv")
        assert answer.status_code == status, user
        pdf = client.get(f"/pass-numerique/releves/{r.pk}.pdf")
        assert pdf.status_code == status, user
        if status == 200:
            assert codes.display(code) in answer.content.decode() and "10.00" in answer.content.decode()
            text = " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf.content)).pages)
            assert codes.display(code) in text and "Médiathèque du Grand Guéret" in text


def test_the_territory_section_publishes_beneficiary_figures_from_ten_people(client, world, demo_warehouse):
    orgs, lieux_, users, programme = world
    html = client.get("/territoires/commune/23096/").content.decode()
    assert "Lieux qui acceptent le Pass numérique" in html and "Moins de 10 personnes" in html and "Chèques utilisés par ces personnes" not in html
    for numero in (1, 2, 3):
        hand_out(programme, orgs, numero)
    more = services.create_programme(orgs["creuse"], TerritorySet.of("departement", "23"), 7, 5, prescripteurs=[orgs["ccas"]])
    for numero in range(1, 8):
        hand_out(more, orgs, numero)
    services.redeem(programme.carnets_emis.get(numero=1).cheques.first().code, lieux_["gueret"], users["conseillere"])
    html = client.get("/territoires/commune/23096/").content.decode()
    assert "Chèques utilisés par ces personnes" in html and "pour 1 000 personnes à risque" in html
    assert "Pass numérique" in client.get("/territoires/commune/23096/diagnostic/").content.decode()
    ardennes = client.get("/territoires/commune/08105/").content.decode()
    assert "titre-pass" in ardennes and "Moins de 10 personnes de Charleville-Mézières" in ardennes  # their people are in the Creuse


def test_the_funder_sees_its_reach_of_the_people_at_risk(client, world, demo_warehouse):
    orgs, lieux_, users, programme = world
    client.force_login(users["financeur"])
    codes_ = hand_out(programme, orgs)
    for code in codes_[:3]:
        services.redeem(code, lieux_["gueret"], users["conseillere"])
    from terrinum.pillars.pass_numerique.reach import people_at_risk
    from terrinum.warehouse import store

    risk = people_at_risk("departement", "23")  # the pillar's computation the app reads (config.reading)
    with store.reader() as con:  # the published table, read apart
        low, high = con.execute(
            "SELECT personnes_a_risque_bas, personnes_a_risque_haut FROM publie_fragilite WHERE niveau = 'departement' AND code = '23'"
        ).fetchone()
    assert (risk["bas"], risk["haut"], risk["personnes"]) == (low, high, (low + high) / 2)
    found = services.reach(programme)
    assert found["utilises"] == 3 and found["pour_mille"] == pytest.approx(3000 / risk["personnes"])
    page = client.get("/pass-numerique/").content.decode()
    assert "pour 1&nbsp;000 personnes à risque" in page and f"{found['pour_mille']:.1f}".replace(".", ",") in page
    assert "données de démonstration" in page  # the fragility index of the demo warehouse


def test_the_printable_carnets_hold_every_code(world):
    import io

    import pypdf

    orgs, lieux_, users, programme = world
    reader = pypdf.PdfReader(io.BytesIO(services.carnets_pdf(programme)))
    assert len(reader.pages) == programme.carnets and "/StructTreeRoot" in reader.trailer["/Root"]
    text = " ".join(page.extract_text() for page in reader.pages)
    assert all(codes.display(c) in text for c in programme.cheques.values_list("code", flat=True))


def test_a_funder_reads_only_its_own_vouchers_in_a_shared_statement(client, world):
    """A place paid by two funders in one month: each funder's download lists its own voucher
    codes only (they were all listed); the place sees every line."""
    import io

    import pypdf

    orgs, lieux_, users, programme = world
    tz = timezone.get_current_timezone()
    year = programme.fin_validite.year
    ccas = Organisation.objects.create(nom="CCAS de Guéret (Creuse Habitat)", type=Organisation.PRESCRIPTEUR)
    other_funder = Organisation.objects.create(nom="Creuse Habitat", type=Organisation.FINANCEUR)
    other = services.create_programme(other_funder, TerritorySet.of("commune", "23096"), 1, 5, prescripteurs=[ccas], year=year)
    services.qualify(lieux_["gueret"], other, services.PLATFORM, now=dt.datetime(year, 1, 1, tzinfo=tz))
    carnet = other.carnets_emis.get()
    services.attribute(carnet, ccas, tranche_age="60-74", commune_code="23096", motif="démarches")
    theirs = carnet.cheques.first().code
    mine = hand_out(programme, orgs)[0]
    march = dt.datetime(year, 3, 14, 10, tzinfo=tz)
    services.redeem(mine, lieux_["gueret"], users["conseillere"], now=march)
    services.redeem(theirs, lieux_["gueret"], users["conseillere"], now=march)
    (r,) = services.settle(f"{year}-03", today=dt.date(year, 4, 1))
    client.force_login(users["financeur"])
    csv_text = client.get(f"/pass-numerique/releves/{r.pk}.csv").content.decode()
    pdf = client.get(f"/pass-numerique/releves/{r.pk}.pdf")
    pdf_text = " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf.content)).pages)
    for text in (csv_text, pdf_text):
        assert codes.display(mine) in text and codes.display(theirs) not in text
    assert "d'autres commanditaires" in pdf_text
    client.force_login(users["conseillere"])
    csv_text = client.get(f"/pass-numerique/releves/{r.pk}.csv").content.decode()
    assert codes.display(mine) in csv_text and codes.display(theirs) in csv_text


def test_the_prescriber_names_the_person_s_commune_by_name_or_postcode(client, world):
    """« Commune de la personne (code INSEE) » took the postcode 23000 as a commune code
    (« commune inconnue (23000) » on the funder's dashboard) and cut « Guéret » to « Guére ».
    A name or a postcode works; several communes answer with a choice, everything typed
    kept; only a real commune is stored."""
    from terrinum.apps.pass_numerique.models import Beneficiaire

    orgs, lieux_, users, programme = world
    client.force_login(users["travailleuse"])
    codes_ = [programme.carnets_emis.get(numero=n).cheques.first().code for n in (1, 2, 3)]
    form = {"action": "remettre", "prescripteur": orgs["ccas"].pk, "age": "60-74", "motif": "démarches en ligne"}
    assert client.post("/pass-numerique/", {**form, "code": codes_[0], "commune": "Guéret"}).status_code == 200
    # a postcode shared by 15 communes: the choice is offered, Guéret among them
    shared = client.post("/pass-numerique/", {**form, "code": codes_[1], "commune": "23000"}).content.decode()
    assert 'name="commune_code" value="23096"' in shared and "Sainte-Feyre" in shared
    assert client.post("/pass-numerique/", {**form, "code": codes_[1], "commune": "23000", "commune_code": "23096"}).status_code == 200
    assert list(Beneficiaire.objects.order_by("id").values_list("commune_code", flat=True)) == ["23096", "23096"]
    # « Saint-Sulpice » names many communes: the form comes back with them, the rest kept
    ambiguous = client.post("/pass-numerique/", {**form, "code": codes_[2], "commune": "Saint-Sulpice"})
    html = ambiguous.content.decode()
    assert ambiguous.status_code == 400 and "choisissez la bonne" in html and 'name="commune_code"' in html
    assert f'value="{codes_[2]}"' in html and 'value="démarches en ligne"' in html and '<option value="60-74" selected>' in html
    chosen = re.search(r'name="commune_code" value="(\w+)"', html)[1]
    assert client.post("/pass-numerique/", {**form, "code": codes_[2], "commune": "Saint-Sulpice", "commune_code": chosen}).status_code == 200
    assert Beneficiaire.objects.order_by("-id").first().commune_code == chosen
    # nothing stored for what is not a commune
    for typed in ("99999", "Nouvelle-Aquitaine", "Nullepart"):
        refused = client.post("/pass-numerique/", {**form, "code": codes_[2], "commune": typed})
        assert refused.status_code == 400, typed
    assert Beneficiaire.objects.count() == 3
    with pytest.raises(services.Refused, match="n'est pas le code INSEE d'une commune"):
        services.attribute(programme.carnets_emis.get(numero=3), orgs["ccas"], tranche_age="25-59", commune_code="99999", motif="x")


def test_the_command_line_takes_a_commune_s_name_and_refuses_one_that_does_not_exist(world):
    from typer.testing import CliRunner

    from terrinum.apps.pass_numerique.models import Beneficiaire
    from terrinum.cli import app

    orgs, lieux_, users, programme = world
    first, second = (programme.carnets_emis.get(numero=n).cheques.first().code for n in (1, 2))
    common = ["pass-numerique", "attribuer", "--prescripteur", "CCAS de Guéret", "--age", "25-59", "--motif", "démarches"]
    refused = CliRunner().invoke(app, [*common[:2], first, *common[2:], "--commune", "99999"])
    assert refused.exit_code == 1 and "99999" in refused.output and not Beneficiaire.objects.exists()
    ambiguous = CliRunner().invoke(app, [*common[:2], first, *common[2:], "--commune", "Saint-Sulpice"])
    assert ambiguous.exit_code == 2 and "Plusieurs communes" in ambiguous.output and not Beneficiaire.objects.exists()
    done = CliRunner().invoke(app, [*common[:2], second, *common[2:], "--commune", "Guéret"])
    assert done.exit_code == 0, done.output
    assert Beneficiaire.objects.get().commune_code == "23096"


def test_a_new_funder_creates_its_programme_on_the_web(client, world):
    """A funder without a programme read « Votre compte n'agit pour aucun commanditaire »
    (programmes existed only in the command line)."""
    from terrinum.apps.pass_numerique.models import Programme

    orgs, lieux_, users, programme = world
    client.force_login(users["financeur08"])
    page = client.get("/pass-numerique/").content.decode()
    assert "Commander des chèques : nouveau programme" in page and "n'agit pour aucun" not in page
    form = {"action": "programme", "financeur": orgs["ardennes"].pk, "territoire": "Ardennes", "carnets": "4", "cheques_par_carnet": "5", "valeur": "10"}
    made = client.post("/pass-numerique/", {**form, "prescripteurs": [orgs["ccas"].pk]})
    assert made.status_code == 200 and "créé : 4 carnet(s) de 5 chèques de 10 €" in made.content.decode()
    new = Programme.objects.get(financeur=orgs["ardennes"])
    assert (new.territoire_niveau, new.territoire_code, new.cheques.count()) == ("departement", "08", 20)
    assert list(new.prescripteurs.all()) == [orgs["ccas"]]
    # not for another funder, nor for a prescriber; a territory that is not one is named
    assert client.post("/pass-numerique/", {**form, "financeur": orgs["creuse"].pk}).status_code == 403
    assert client.post("/pass-numerique/", {**form, "territoire": "Nullepart"}).status_code == 400
    client.force_login(users["travailleuse"])
    assert client.post("/pass-numerique/", form).status_code == 403
    assert Programme.objects.filter(financeur=orgs["ardennes"]).count() == 1
