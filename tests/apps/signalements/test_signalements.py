"""Coverage reports: the check against the data (exact figures from the fixture), the
measurement file, the clustering and the score on hand-built reports, the roles, the
decisions and the exports."""

import csv
import io
import json
import re

import pytest

from terrinum.accounts.services import issue_token
from terrinum.apps.signalements import services
from terrinum.apps.signalements.models import Signalement, Zone
from terrinum.pillars.couverture import verification
from terrinum.warehouse import store
from tests.apps.signalements.conftest import BUILDINGS, POPULATION_SIGNY, SIGNY, Q, to_wgs84

pytestmark = pytest.mark.django_db


def _report(**overrides):
    values = {"commune_code": "08419", "operateurs": ["BOUY"], "usages": ["voix"], "frequence": "permanent", "concernes": ["habitations"],
              "longitude": SIGNY[0], "latitude": SIGNY[1]}  # fmt: skip
    return services.Report(**{**values, **overrides})


def test_the_check_against_the_data_at_a_point_inside_and_outside_the_polygons(coverage_data):
    q = to_wgs84(*Q)
    with store.reader() as con:
        p_check, q_check, commune_only = verification.check_reports(
            con,
            [
                {"longitude": SIGNY[0], "latitude": SIGNY[1], "commune_code": "08419", "departement_code": "08"},
                {"longitude": q[0], "latitude": q[1], "commune_code": "08419", "departement_code": "08"},
                {"longitude": None, "latitude": None, "commune_code": "08419", "departement_code": "08"},
            ],
        )
    at = {op: v["au_point"] for op, v in p_check["operateurs"].items()}
    assert at == {"OF": "bonne", "SFR0": "limitée", "BOUY": "pas de donnée", "FREE": "aucune"}
    assert {op: v["au_point"] for op, v in q_check["operateurs"].items()} == {"OF": "aucune", "SFR0": "aucune", "BOUY": "pas de donnée", "FREE": "bonne"}
    assert p_check["operateurs_sans_bonne_4g"] == ["FREE", "SFR0"] and q_check["operateurs_sans_bonne_4g"] == ["OF", "SFR0"]
    # premises within 500 m counted exactly (100 m and 499 m in, 501 m and 1 km out)
    assert p_check["locaux_500m"] == 3 + 2
    assert p_check["population_500m"] == round(5 * POPULATION_SIGNY / 13)
    assert p_check["site_4g_le_plus_proche_m"] == 2000
    assert p_check["operateurs"]["OF"]["site_4g_le_plus_proche_m"] == 2000 and p_check["operateurs"]["FREE"]["site_4g_le_plus_proche_m"] == 3000
    assert "site_4g_le_plus_proche_m" not in p_check["operateurs"]["SFR0"]
    assert p_check["new_deal_commune"] == [{"arrete": "2024-12", "echeance": "2026-03-01", "operateurs": "OF,FREE", "en_service": False}]
    assert p_check["versions"]["couverture_4g_polygones"] == "2025T2" and p_check["versions"]["immeubles"] == "2025T2"
    # without a position: only the commune's data
    assert not commune_only["position"] and commune_only["operateurs"]["OF"]["au_point"] == "pas de donnée" and "locaux_500m" not in commune_only
    assert commune_only["new_deal_commune"][0]["arrete"] == "2024-12"


def test_a_report_is_validated_checked_and_stored_in_one_transaction(coverage_data, world):
    orgs, users = world
    s = services.report_zone(
        users["agent_signy"],
        orgs["signy"],
        _report(),
        [{"ligne": 2, "longitude": 4.39, "latitude": 49.70, "operateur": "BOUY", "techno": "4G", "debit_descendant": 0.4}],
    )
    assert s.departement_code == "08" and s.verification["locaux_500m"] == 5 and s.mesures.count() == 1
    assert s.statut == "Reçu, pas encore examiné"
    with pytest.raises(services.Refused, match="n'est pas dans le territoire"):
        services.report_zone(users["agent_signy"], orgs["signy"], _report(commune_code="08362"))
    with pytest.raises(services.Refused, match="n'est pas dans la commune Signy"):
        services.report_zone(users["agent_signy"], orgs["signy"], _report(longitude=1.87, latitude=46.17))
    with pytest.raises(services.Refused, match="situez la zone"):
        services.report_zone(users["agent_signy"], orgs["signy"], _report(longitude=None, latitude=None))
    lieu_dit = services.report_zone(users["agent_signy"], orgs["signy"], _report(longitude=None, latitude=None, lieu_dit="La Forge"))
    assert lieu_dit.verification["position"] is False
    assert Signalement.objects.count() == 2


def test_a_measurement_file_is_read_or_refused_with_line_field_and_reason():
    rows = services.parse_measurements("mesures.csv", b"latitude;longitude;operateur;techno;debit\n49,70;4,39;Orange;4G;0,8\n49.71;4.40;20815;3G;\n")
    assert [(r["ligne"], r["operateur"], r["techno"], r.get("debit_descendant")) for r in rows] == [(2, "OF", "4G", 0.8), (3, "FREE", "3G", None)]
    with pytest.raises(services.Refused) as refused:
        services.parse_measurements("mesures.csv", b"lat,lon,download\n49.7,4.39,fast\n95,4.39,1\n")
    assert [(p.line, p.field, p.reason) for p in refused.value.problems] == [
        (2, "debit_descendant", "« fast » n'est pas un débit en Mbit/s"),
        (3, "latitude", "95.0 hors de [-90 ; 90]"),
    ]
    with pytest.raises(services.Refused, match="colonne absente"):
        services.parse_measurements("m.csv", b"x;y\n1;2\n")


def _offset(lon, lat, east_m, north_m):
    import math

    return lon + east_m / (111_320 * math.cos(math.radians(lat))), lat + north_m / 111_320


def test_clustering_chains_reports_within_the_distance():
    a = (4.39, 49.70)
    b = _offset(*a, 1000, 0)
    c = _offset(*b, 1200, 0)  # 2.2 km from a, 1.2 km from b
    d = _offset(*a, 0, 10_000)
    labels = services.clusters([a, b, c, d], 1500)
    assert labels[0] == labels[1] == labels[2] != labels[3]
    assert len(set(services.clusters([a, b, c, d], 800))) == 4
    assert services.clusters([], 1500) == []


def test_the_score_of_a_hand_built_zone():
    def check(pop, sans, site):
        ops = {op: {"au_point": "bonne" if op not in sans else "aucune"} for op in ("OF", "SFR0", "BOUY", "FREE")}
        return {"population_500m": pop, "operateurs": ops, "operateurs_sans_bonne_4g": sans, "site_4g_le_plus_proche_m": site}

    reports = [
        Signalement(commune_code="08419", concernes=["habitations", "exploitation_agricole"], operateurs=["OF"], verification=check(150, ["BOUY"], 2000)),
        Signalement(commune_code="08419", concernes=["axe_routier"], operateurs=["OF"], verification=check(600, ["FREE"], 4000)),
    ]
    value, detail = services.score(reports)
    # population 35 × min(1, 600/300) = 35; activities 20 × 2/4 = 10; operators 20 × 2/4 = 10;
    # reports 10 × 2/5 = 4; distance 15 × min(1, 3000/5000) = 9
    assert detail["termes"] == {"population": 35.0, "activites": 10.0, "operateurs": 10.0, "signalements": 4.0, "eloignement": 9.0}
    assert value == 68.0 and detail["operateurs_absents"] == ["BOUY", "FREE"] and not detail["indice_deja_couvert"]
    # no coverage polygons at the points: the operators the reporters named
    unmeasured = [
        Signalement(commune_code="08419", concernes=[], operateurs=["SFR0", "OF"], verification={"operateurs": {"OF": {"au_point": "pas de donnée"}}})
    ]
    value, detail = services.score(unmeasured)
    assert detail["operateurs_absents"] == ["OF", "SFR0"] and detail["termes"]["operateurs"] == 10.0 and not detail["distance_connue"]


def test_regrouping_ranking_deciding_and_exporting(coverage_data, world, client):
    orgs, users = world
    a = services.report_zone(users["agent_signy"], orgs["signy"], _report(concernes=["habitations", "entreprises"]))
    b = services.report_zone(users["agent_signy"], orgs["signy"], _report(longitude=_offset(*SIGNY, 600, 0)[0], latitude=SIGNY[1]))
    far = services.report_zone(users["elu_rethel"], orgs["rethel"], _report(commune_code="08362", longitude=4.3796, latitude=49.5136, operateurs=["SFR0"]))
    zones = services.regroup("08", 1500)
    assert len(zones) == 2
    a.refresh_from_db(), b.refresh_from_db(), far.refresh_from_db()
    assert a.zone_id == b.zone_id != far.zone_id
    assert zones[0].score >= zones[1].score
    services.decide(a.zone, Zone.PROPOSE, "", users["chef_projet08"])
    with pytest.raises(services.Refused, match="motif"):
        services.decide(far.zone, Zone.ECARTE, " ", users["chef_projet08"])
    services.decide(far.zone, Zone.ECARTE, "couverte par le site de Rethel en 2026", users["chef_projet08"])
    # a new report next to the proposed zone: the decided zones stay, the new one is grouped alone
    c = services.report_zone(users["agent_signy"], orgs["signy"], _report(lieu_dit="Les Hayons", longitude=None, latitude=None))
    services.regroup("08", 1500)
    a.refresh_from_db(), c.refresh_from_db()
    assert a.zone.decision == Zone.PROPOSE and a.statut == "Proposée à l'arrêté" and c.zone is not None and c.zone.decision == Zone.A_EXAMINER
    client.force_login(users["prefecture08"])
    answer = client.get("/couverture/departements/08/zones.csv?decision=propose")
    rows = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig")), delimiter=";"))
    assert (
        len(rows) == 1 and rows[0]["Décision"] == "Proposée à l'arrêté" and rows[0]["Signalements"] == "2" and "Signy-l'Abbaye (08419)" in rows[0]["Communes"]
    )
    geo = json.loads(client.get("/couverture/departements/08/zones.geojson").content)
    assert len(geo["features"]) == 3 and {f["properties"]["decision"] for f in geo["features"]} == {"Proposée à l'arrêté", "Écartée", "À examiner"}
    proposed = next(f for f in geo["features"] if f["properties"]["decision"] == "Proposée à l'arrêté")
    assert proposed["geometry"]["type"] == "MultiPoint" and len(proposed["geometry"]["coordinates"]) == 2
    import odf.opendocument
    from odf.table import TableRow

    doc = odf.opendocument.load(io.BytesIO(client.get("/couverture/departements/08/zones.ods").content))
    assert len(doc.spreadsheet.getElementsByType(TableRow)) == 1 + 3
    api = client.get("/api/v1/couverture/departements/08/zones", {"decision": "propose"}, headers={"Authorization": f"Bearer {issue_token('prefecture08')}"})
    assert [(z["decision"], z["signalements"]) for z in api.json()] == [("Proposée à l'arrêté", 2)]
    assert (
        client.get(
            "/api/v1/couverture/departements/08/zones", {"decision": "inconnue"}, headers={"Authorization": f"Bearer {issue_token('prefecture08')}"}
        ).status_code
        == 422
    )


def test_who_sees_and_decides_what(coverage_data, world, client):
    orgs, users = world
    own = services.report_zone(users["agent_signy"], orgs["signy"], _report())
    gueret = services.report_zone(users["elu_gueret"], orgs["gueret"], _report(commune_code="23096", longitude=1.8700, latitude=46.1712))
    url, other = f"/couverture/signalements/{own.pk}/", f"/couverture/signalements/{gueret.pk}/"
    expected = {
        # account: (own report, Guéret's report, Ardennes team page, a decision there)
        "agent_signy": (200, 404, 404, 404),
        "elu_rethel": (404, 404, 404, 404),
        "elu_gueret": (404, 200, 404, 404),
        "chef_projet08": (200, 404, 200, 200),
        "prefecture08": (200, 404, 200, 404),
        "chef_projet23": (404, 200, 404, 404),
        "sans_role": (404, 404, 404, 404),
    }
    for name, codes in expected.items():
        client.force_login(users[name])
        got = (
            client.get(url).status_code,
            client.get(other).status_code,
            client.get("/couverture/departements/08/").status_code,
            client.post("/couverture/departements/08/", {"action": "regrouper", "distance": 1500}).status_code,
        )
        assert got == codes, name
        assert client.get("/couverture/departements/08/zones.csv").status_code == (200 if codes[2] == 200 else 404), name
        # reporting is for the collectivité's own communes only
        signy = client.get(f"/couverture/{orgs['signy'].pk}/signaler/08419/").status_code
        assert signy == (200 if name == "agent_signy" else 404), name
        # the same answers through the API, with the account's token
        bearer = {"Authorization": f"Bearer {issue_token(name)}"}
        api = (
            client.get(f"/api/v1/couverture/signalements/{own.pk}", headers=bearer).status_code,
            client.get(f"/api/v1/couverture/signalements/{gueret.pk}", headers=bearer).status_code,
            client.get("/api/v1/couverture/departements/08/zones", headers=bearer).status_code,
        )
        assert api == codes[:3], name
    client.logout()
    assert client.get(url).status_code == 302 and client.get("/couverture/departements/08/").status_code == 302
    assert client.get(f"/api/v1/couverture/signalements/{own.pk}").status_code == 401


def test_reporting_through_the_form_and_the_territory_page_counts_without_names(coverage_data, world, client):
    orgs, users = world
    client.force_login(users["agent_signy"])
    form = client.get(f"/couverture/{orgs['signy'].pk}/signaler/08419/").content.decode()
    assert 'data-georef="' in form and "Bonne couverture 4G d&#x27;au moins un opérateur" in form
    # The map showed a blank outline: now neighbours by name, the town hall, 4G sites, buildings.
    svg = form.split("<svg")[1].split("</svg>")[0]
    assert "Mairie de Signy-l&#x27;Abbaye" in svg and ">Mairie</text>" in svg
    names = re.findall(r'<text class="nom-carte"[^>]*>([^<]+)</text>', svg)
    assert len(names) >= 4 and "Mairie" in names, names
    assert svg.count('class="zone voisine"') >= 4
    assert svg.count('class="point site"') == 2 and "Site 4G Orange" in svg and "Site 4G Free Mobile" in svg
    assert svg.count('class="point immeuble"') == len(BUILDINGS) and "les sites 4G (2, Arcep 2025T2)" in form
    answer = client.post(
        f"/couverture/{orgs['signy'].pk}/signaler/08419/",
        {"latitude": f"{SIGNY[1]:.6f}".replace(".", ","), "longitude": f"{SIGNY[0]:.6f}".replace(".", ","), "operateurs": ["BOUY", "FREE"], "usages": ["voix", "interieur"], "frequence": "frequent",
         "concernes": ["exploitation_agricole"], "mesures": io.BytesIO(b"lat;lon;operateur;debit\n49.7022;4.3935;Bouygues;0.2\n")},
    )  # fmt: skip
    assert answer.status_code == 302
    s = Signalement.objects.get()
    assert s.mesures.get().operateur == "BOUY" and s.auteur == users["agent_signy"]
    page = client.get(answer["Location"]).content.decode()
    assert "Reçu, pas encore examiné" in page and "Locaux à moins de 500 m : <strong>5</strong>" in page
    bad = client.post(f"/couverture/{orgs['signy'].pk}/signaler/08419/", {"operateurs": ["BOUY"], "usages": ["voix"], "frequence": "frequent"})
    assert bad.status_code == 400 and "situez la zone" in bad.content.decode()
    bad_file = client.post(
        f"/couverture/{orgs['signy'].pk}/signaler/08419/",
        {"lieu_dit": "La Forge", "operateurs": ["BOUY"], "usages": ["voix"], "frequence": "frequent", "mesures": io.BytesIO(b"lat;lon\nnord;4.39\n")},
    )
    assert bad_file.status_code == 400 and "ligne 2" in bad_file.content.decode() and Signalement.objects.count() == 1
    client.logout()
    territory = client.get("/territoires/commune/08419/").content.decode()
    section = territory.split('id="signalements-couverture"')[1].split("</section>")[0]
    assert "<strong>1</strong> zone(s)" in section and "agent_signy" not in territory and "Signy-l&#x27;Abbaye" in territory


def test_the_map_s_georeference_turns_a_drawn_point_back_into_its_position():
    """What pointage.js computes from a click, done here on the drawn marker's position."""
    import re

    import shapely

    from terrinum.svg import Feature, Marker, render_map

    square = shapely.to_wkb(shapely.box(4.33, 49.66, 4.47, 49.74))
    svg = render_map([Feature("Signy", square)], "Signy", markers=[Marker(4.40, 49.71, "point")], pickable=True)
    minx, maxy, kx, ky, offx, offy = map(float, re.search(r'data-georef="([^"]+)"', svg).group(1).split())
    cx, cy = map(float, re.search(r'<circle class="point" cx="([\d.]+)" cy="([\d.]+)"', svg).groups())
    assert minx + (cx - offx) / kx == pytest.approx(4.40, abs=1e-3) and maxy - (cy - offy) / ky == pytest.approx(49.71, abs=1e-3)
    assert "data-georef" not in render_map([Feature("Signy", square)], "Signy")
