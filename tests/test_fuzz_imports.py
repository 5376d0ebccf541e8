"""Every importer, fed damaged versions of a valid file (truncations, flipped bytes, other
encodings, gzip, swapped or huge fields, duplicated lines, deep nesting, random bytes):
never a traceback, never a partial state, and a refusal names the file.

A bounded run here (TERRINUM_FUZZ_EXEMPLES examples per importer, 12 by default); the long
run is `bench/fuzz.py`, which prints how many cases ran and how they ended."""

import gzip
import os
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from terrinum.apps.inclusion.services import ImportRefused
from terrinum.pillars.ingest import ingest, load_elsewhere
from terrinum.sources.common import SourceError
from terrinum.warehouse.ingest import IngestRefused
from tests.apps.inclusion.factories import place, write_csv, write_json
from tests.sources.test_arcep_mobile import NEW_DEAL, STATS

EXAMPLES = int(os.environ.get("TERRINUM_FUZZ_EXEMPLES", "12"))
REAL = {  # kind: (file under ../shared/data/real, lines kept, name given to the copy)
    "arcep-mci-communes": ("arcep/mci_2019T3_communes_debit_beta.csv", 30, "mci_2019T3_communes.csv"),
    "arcep-ftth-communes": ("arcep/obs_ftth_2017T3-2018T1_deploiement_communes.csv", 40, "obs_ftth_deploiement.csv"),
    "arcep-ftth-informations": ("arcep/obs_ftth_2018T1_informations_communes.csv", 30, "obs_ftth_informations.csv"),
    "arcep-mobile-sites": ("mobile/sites_mobiles_2020T2_REU.csv", 30, "sites_mobiles_2020T2_REU.csv"),
    "insee-indicateurs": ("insee/indicateurs_communes_diplome_menages_age_emploi.csv", 30, "indicateurs.csv"),
    "lieux-bibliotheques": ("lieux/bibliotheques_publiques.csv", 20, "bibliotheques.csv"),
}
WRITTEN = {
    "arcep-mobile-communes": (STATS.encode(), "2024T4_op_communes.csv"),
    "arcep-newdeal-sites": (NEW_DEAL.encode(), "2024_T4_dcc_Metropole_sites.csv"),
}


def seed(kind: str, real_data, tmp_path) -> tuple[bytes, str]:
    if kind in WRITTEN:
        return WRITTEN[kind]
    if kind == "lieux-mediation":
        return write_csv(tmp_path / "l.csv", [place(id="a"), place(id="b", nom="Autre")]).read_bytes(), "lieux.csv"
    if kind == "lieux-mediation-json":
        return write_json(tmp_path / "l.json", [place(id="a"), place(id="b", nom="Autre")]).read_bytes(), "lieux.json"
    relative, lines, name = REAL[kind]
    with (real_data / relative).open("rb") as f:
        return b"".join(f.readline() for _ in range(lines)), name


def mutate(data: bytes, how: str, rnd: random.Random) -> bytes:
    lines = data.split(b"\n")
    if how == "tronque":
        return data[: rnd.randrange(len(data))]
    if how == "octets":
        out = bytearray(data)
        for _ in range(rnd.randint(1, 8)):
            out[rnd.randrange(len(out))] = rnd.randrange(256)
        return bytes(out)
    if how == "latin1":
        return data.decode("utf-8", "replace").encode("latin-1", "replace")
    if how == "utf16":
        return data.decode("utf-8", "replace").encode("utf-16")
    if how == "gzip":
        return gzip.compress(data)
    if how == "gzip-tronque":
        packed = gzip.compress(data)
        return packed[: rnd.randrange(1, len(packed))]
    if how == "champ-enorme":
        i = rnd.randrange(len(lines))
        lines[i] = lines[i] + b"x" * 300_000  # beyond the csv module's 131,072-character limit
        return b"\n".join(lines)
    if how == "doublon":
        i = rnd.randrange(1, len(lines)) if len(lines) > 1 else 0
        return b"\n".join([*lines[: i + 1], lines[i], *lines[i + 1 :]])
    if how == "colonnes":
        for i, line in enumerate(lines[:6]):
            for sep in (b";", b","):
                cells = line.split(sep)
                if len(cells) > 2:
                    a, b = rnd.sample(range(len(cells)), 2)
                    cells[a], cells[b] = cells[b], cells[a]
                    lines[i] = sep.join(cells)
                    return b"\n".join(lines)
        return data
    if how == "imbrication":
        return b"[" * 100_000 + b"]" * 100_000
    if how == "hasard":
        return rnd.randbytes(rnd.randint(0, 4000))
    if how == "vide":
        return b""
    raise AssertionError(how)


MUTATIONS = ["tronque", "octets", "latin1", "utf16", "gzip", "gzip-tronque", "champ-enorme", "doublon", "colonnes", "imbrication", "hasard", "vide"]
OPTIONS = {"insee-indicateurs": {"millesime": "2016"}}  # the census year is not in the file
WAREHOUSE_KINDS = [
    "arcep-mci-communes",
    "arcep-ftth-communes",
    "arcep-ftth-informations",
    "arcep-mobile-sites",
    "arcep-mobile-communes",
    "arcep-newdeal-sites",
    "insee-indicateurs",
]


def _named(exc, path) -> bool:
    problems = [exc.problem] if isinstance(exc, SourceError) else exc.problems
    return bool(problems) and all(p.file in (path.name, str(path)) for p in problems)


def _state(con) -> dict:
    tables = [t for (t,) in con.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()]
    return {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}


@pytest.mark.parametrize("kind", WAREHOUSE_KINDS)
def test_warehouse_importers_refuse_damaged_files_cleanly(kind, warehouse, real_data, tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz")
    data, name = seed(kind, real_data, folder)
    path = folder / name
    path.write_bytes(data)
    ingest(warehouse, kind, path, **OPTIONS.get(kind, {}))  # the seed itself is valid

    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(st.sampled_from(MUTATIONS), st.randoms(use_true_random=False))
    def damaged(how, rnd):
        path.write_bytes(mutate(data, how, rnd))
        before = _state(warehouse)
        try:
            ingest(warehouse, kind, path, **OPTIONS.get(kind, {}))
        except (SourceError, IngestRefused) as exc:  # refused: the file named, nothing half-loaded
            assert _named(exc, path), (how, exc)
            assert _state(warehouse) == before, how

    damaged()


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["lieux-mediation", "lieux-mediation-json", "lieux-bibliotheques"])
def test_place_importers_refuse_damaged_files_cleanly(kind, real_data, tmp_path_factory):
    from terrinum.apps.inclusion.models import Lieu

    folder = tmp_path_factory.mktemp("fuzz")
    data, name = seed(kind, real_data, folder)
    source = kind.removesuffix("-json")
    path = folder / name
    path.write_bytes(data)
    load_elsewhere(source, path, accept_rejects=True)

    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(st.sampled_from(MUTATIONS), st.randoms(use_true_random=False))
    def damaged(how, rnd):
        path.write_bytes(mutate(data, how, rnd))
        before = sorted(Lieu.objects.values_list("id", "nom", "date_maj", "adresse", "provenance"))
        try:
            load_elsewhere(source, path)
        except (SourceError, ImportRefused) as exc:
            assert _named(exc, path), (how, exc)
            assert sorted(Lieu.objects.values_list("id", "nom", "date_maj", "adresse", "provenance")) == before, how

    damaged()


HEADER_LINES = {"arcep-mci-communes": 2, "arcep-ftth-communes": 5, "arcep-ftth-informations": 5}  # title lines, then the header


@pytest.mark.parametrize("kind", WAREHOUSE_KINDS)
@pytest.mark.parametrize("how", ["en-tete-seul", "lignes-vides", "nul"])
def test_an_empty_file_or_a_nul_byte_is_refused_and_nothing_is_lost(kind, how, warehouse, real_data, tmp_path_factory):
    """A header and no row exited 0 and deleted every value of the file's indicators (1,945
    INSEE values → 0); a NUL byte was stored. Every source refuses them, naming the file."""
    folder = tmp_path_factory.mktemp("vide")
    data, name = seed(kind, real_data, folder)
    path = folder / name
    path.write_bytes(data)
    ingest(warehouse, kind, path, **OPTIONS.get(kind, {}))
    lines = data.split(b"\n")
    header = lines[: HEADER_LINES.get(kind, 1)]
    if how == "en-tete-seul":
        damaged = b"\n".join(header) + b"\n"
    elif how == "lignes-vides":  # the header, then rows whose every value is empty
        sep = b";" if header[-1].count(b";") > header[-1].count(b",") else b","
        damaged = b"\n".join([*header, *(sep * header[-1].count(sep) for _ in range(3))]) + b"\n"
    else:
        damaged = data.replace(lines[-2], lines[-2][:5] + b"\x00" + lines[-2][5:])
    path.write_bytes(damaged)
    before = _state(warehouse)
    with pytest.raises((SourceError, IngestRefused)) as refused:
        ingest(warehouse, kind, path, **OPTIONS.get(kind, {}))
    assert _named(refused.value, path)
    assert _state(warehouse) == before


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["lieux-mediation", "lieux-bibliotheques"])
def test_places_with_a_nul_byte_or_no_row_are_refused(kind, real_data, tmp_path_factory):
    from terrinum.apps.inclusion.models import Lieu

    folder = tmp_path_factory.mktemp("vide")
    data, name = seed(kind, real_data, folder)
    path = folder / name
    path.write_bytes(data)
    load_elsewhere(kind, path, accept_rejects=True)
    before = sorted(Lieu.objects.values_list("id", "nom"))
    lines = data.split(b"\n")
    for damaged in (lines[0] + b"\n", data.replace(lines[1], lines[1][:8] + b"\x00" + lines[1][8:])):
        path.write_bytes(damaged)
        with pytest.raises((SourceError, ImportRefused)) as refused:
            load_elsewhere(kind, path)
        assert _named(refused.value, path)
        assert sorted(Lieu.objects.values_list("id", "nom")) == before


FOLDER_AND_BINARY = ["arcep-mci-batiments", "arcep-mobile-couverture"]


def _binary_seed(kind, warehouse, folder):
    """The per-building folder (one département's files damaged in turn) or a coverage
    GeoPackage (damaged as bytes): (path given to ingest, file to damage)."""
    if kind == "arcep-mci-batiments":
        from tests.sources.test_arcep_batiments import make_quarter

        root = make_quarter(folder / "immeubles")
        return root, root / "base_imb_08.csv.gz"
    from tests.sources.test_arcep_mobile_couverture import commune_l93, write_gpkg

    path = write_gpkg(folder / "2024_T1_couv_Metropole_OF_4G_data.gpkg", [commune_l93(warehouse, "23096")], ["BC"])
    return path, path


@pytest.mark.parametrize("kind", FOLDER_AND_BINARY)
def test_folder_and_binary_importers_refuse_damaged_files_cleanly(kind, warehouse, tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz")
    path, target = _binary_seed(kind, warehouse, folder)
    ingest(warehouse, kind, path)  # the seed itself is valid
    seed_bytes = target.read_bytes()
    plain = gzip.decompress(seed_bytes) if target.suffix == ".gz" else seed_bytes

    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(st.sampled_from([*MUTATIONS, "nul"]), st.randoms(use_true_random=False))
    def damaged(how, rnd):
        data = plain[:30] + b"\x00" + plain[30:] if how == "nul" else mutate(plain, how, rnd)
        target.write_bytes(gzip.compress(data) if target.suffix == ".gz" and how not in ("gzip", "gzip-tronque", "hasard") else data)
        before = _state(warehouse)
        try:
            ingest(warehouse, kind, path)
        except (SourceError, IngestRefused) as exc:
            problems = [exc.problem] if isinstance(exc, SourceError) else exc.problems
            assert problems and all(p.file for p in problems), (how, exc)
            assert _state(warehouse) == before, how

    damaged()
    target.write_bytes(seed_bytes)
