"""A data directory holding coverage polygons, buildings, mobile sites and a New Deal site
around Signy-l'Abbaye (08419), written in Lambert-93 so that every distance below is exact;
organisations and accounts of each role."""

import datetime as dt

import polars as pl
import pytest
import shapely

from terrinum.pillars import publication
from terrinum.pillars.connectivite_mobile.tables import ALL_TABLES
from terrinum.sources import arcep_batiments
from terrinum.territories.reference import transformer
from terrinum.warehouse import store

L93 = "EPSG:2154"
SIGNY = (4.393484759384295, 49.7022406650821)  # a point inside Signy-l'Abbaye (WGS84)
POPULATION_SIGNY = 1344  # populations légales of the packaged reference


def to_l93(lon, lat):
    return transformer("EPSG:4326", L93).transform(lon, lat)


def to_wgs84(x, y):
    return transformer(L93, "EPSG:4326").transform(x, y)


P = to_l93(*SIGNY)
Q = (P[0], P[1] + 2500)  # 2.5 km north, still in Signy
# premises of the buildings, at these offsets (m) from P: 5 within 500 m
BUILDINGS = [((100, 0), 3), ((0, 499), 2), ((501, 0), 7), ((-1000, 0), 1)]


def square(centre, half):
    x, y = centre
    return shapely.box(x - half, y - half, x + half, y + half)


@pytest.fixture
def coverage_data(fresh_data_dir):
    """OF: good 4G within 1 km of P; SFR: limited coverage there; FREE: good within 500 m of
    Q only; Bouygues: no file. Sites: Orange 2 km east of P, Free 3 km south."""
    zones = {"OF": (square(P, 1000), square(P, 1000)), "SFR0": (None, square(P, 1000)), "FREE": (square(Q, 500), square(Q, 500))}
    with publication.next_version() as con:
        store.ensure_tables(con, ALL_TABLES)
        store.insert_rows(
            con,
            "cm_couverture_geom",
            [
                {"source": "arcep-mobile-couverture", "millesime": "2025T2", "code_source": "08419", "code_commune": "08419", "code_departement": "08",
                 "operateur": op, "techno": "4G", "crs": L93, "zone_bonne": shapely.to_wkb(good) if good is not None else None,
                 "zone_couverte": shapely.to_wkb(anyc), "demo": False}
                for op, (good, anyc) in zones.items()
            ],
        )  # fmt: skip
        sites = {"OF": (P[0] + 2000, P[1]), "FREE": (P[0], P[1] - 3000)}
        store.insert_rows(
            con,
            "cm_sites",
            [
                {"source": "arcep-mobile-sites", "millesime": "2025T2", "code_source": "08419", "code_commune": "08419", "code_departement": "08",
                 "operateur": op, "site_2g": 1, "site_3g": 1, "site_4g": 1, "longitude": to_wgs84(*xy)[0], "latitude": to_wgs84(*xy)[1], "demo": False}
                for op, xy in sites.items()
            ],
        )  # fmt: skip
        store.insert_rows(
            con,
            "cm_newdeal",
            [{"source": "arcep-new-deal", "millesime": "2024", "code_source": "08419", "code_commune": "08419", "code_departement": "08",
              "num_arrete": "2024-12", "date_publication": dt.date(2024, 3, 1), "echeance": dt.date(2026, 3, 1), "operateurs": "OF,FREE",
              "origine_zone": "ZBCB", "date_mise_en_service": None, "en_service": False, "demo": False}],
        )  # fmt: skip
        frame = pl.DataFrame({"code": ["08419"] * len(BUILDINGS), "x": [P[0] + dx for (dx, _), _ in BUILDINGS],
                              "y": [P[1] + dy for (_, dy), _ in BUILDINGS], "n": [n for _, n in BUILDINGS]})  # fmt: skip
        arcep_batiments.write_departement(store.buildings_dir(con, "2025T2"), "08", frame, L93)
    return fresh_data_dir


@pytest.fixture
def world(db):
    """Collectivités (Signy, Rethel in the Ardennes; Guéret in the Creuse), the project teams
    of the Ardennes and the Creuse, and one account per role."""
    from django.contrib.auth.models import User

    from terrinum.accounts.models import Membership, Organisation

    def org(nom, kind, niveau, code):
        return Organisation.objects.create(nom=nom, type=kind, territoire_niveau=niveau, territoire_code=code)

    orgs = {
        "signy": org("Commune de Signy-l'Abbaye", Organisation.COLLECTIVITE, "commune", "08419"),
        "rethel": org("Commune de Rethel", Organisation.COLLECTIVITE, "commune", "08362"),
        "gueret": org("Commune de Guéret", Organisation.COLLECTIVITE, "commune", "23096"),
        "equipe08": org("Équipe projet New Deal des Ardennes", Organisation.EQUIPE_PROJET, "departement", "08"),
        "equipe23": org("Équipe projet New Deal de la Creuse", Organisation.EQUIPE_PROJET, "departement", "23"),
    }
    users = {}
    for name, organisation, role in (
        ("agent_signy", "signy", Membership.MEMBRE),
        ("elu_rethel", "rethel", Membership.ADMIN),
        ("elu_gueret", "gueret", Membership.ADMIN),
        ("chef_projet08", "equipe08", Membership.GESTIONNAIRE),
        ("prefecture08", "equipe08", Membership.MEMBRE),
        ("chef_projet23", "equipe23", Membership.ADMIN),
        ("sans_role", None, None),
    ):
        users[name] = User.objects.create_user(name, password="mot-de-passe-long-1")
        if organisation:
            Membership.objects.create(user=users[name], organisation=orgs[organisation], role=role)
    return orgs, users
