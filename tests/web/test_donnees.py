"""The export files of the published tables: the download page, the files, written once per
published version."""

import csv
import io

import pyarrow.parquet as pq
import pytest


def test_the_download_page_lists_every_published_table(client, demo_warehouse):
    html = client.get("/donnees/").content.decode()
    for title in ("Connectivité fixe", "Connectivité mobile", "Fragilité numérique"):
        assert title in html
    assert "/donnees/connectivite-fixe-commune.csv" in html and "données de démonstration" in html
    import re

    assert re.search(r"publiée le <time datetime=\"[^\"]+\">\d{2}/\d{2}/\d{4}</time>", html)  # not 2026-12-06
    assert "Dictionnaire des colonnes" in html and "part_30mbits" in html


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_an_export_file_holds_the_published_rows(client, demo_warehouse, fmt):
    from terrinum.pillars import publication
    from terrinum.warehouse import store

    response = client.get(f"/donnees/fragilite-departement.{fmt}")
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    body = b"".join(response.streaming_content)
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(body.decode()), delimiter=";"))
    else:
        rows = pq.read_table(io.BytesIO(body)).to_pylist()
    with store.reader() as con:
        expected = publication.page(con, "fragilite", "departement", None, None, 0, 1000)
    assert len(rows) == len(expected) == 101
    assert list(rows[0]) == list(expected[0])  # the dictionary's columns, in its order
    assert [r["code"] for r in rows] == [r["code"] for r in expected]


def _read(response) -> bytes:
    """Read a file answer to its end (which closes it, as a server does)."""
    return b"".join(response.streaming_content)


def test_an_export_is_written_once_per_version(fresh_data_dir, client, db):
    """The file is kept for its version; a new publication makes new files, and the old
    version's are removed."""
    from terrinum.pillars import publication

    _read(client.get("/donnees/connectivite-fixe-pays.csv"))
    first = sorted(publication.exports_dir().rglob("*.csv"))
    assert len(first) == 1
    stamp = first[0].stat().st_mtime_ns
    _read(client.get("/donnees/connectivite-fixe-pays.csv"))
    assert first[0].stat().st_mtime_ns == stamp
    with publication.next_version():
        pass
    _read(client.get("/donnees/connectivite-fixe-pays.csv"))
    second = sorted(publication.exports_dir().rglob("*.csv"))
    assert len(second) == 1 and second[0].parent != first[0].parent


def test_unknown_files_are_404(client, demo_warehouse, db):
    assert client.get("/donnees/inconnu-commune.csv").status_code == 404
    assert client.get("/donnees/fragilite-commune.xlsx").status_code == 404
