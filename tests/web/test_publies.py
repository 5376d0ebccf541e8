"""Public indicator answers served like static files: one body per warehouse version, an
entity tag, 304 on a matching If-None-Match, gzip when accepted, a new tag after a new
publication (docs/notes-techniques.md, « Réponses publiées »)."""

import gzip
import json

import pytest

from terrinum.web import publies

pytestmark = pytest.mark.django_db
URL = "/api/v1/connectivite-fixe/commune?territoire=23&limit=200"


def test_a_published_answer_has_a_tag_and_a_304_and_is_the_view_s_bytes(client, demo_warehouse):
    publies.ANSWERS.items.clear()
    first = client.get(URL)
    assert first.status_code == 200 and first["Cache-Control"] == "public, max-age=300" and first["Vary"] == "Accept-Encoding"
    tag = first["ETag"]
    body = json.loads(first.content)
    assert body["count"] >= 255 and len(body["items"]) == 200  # the Creuse's communes, every vintage
    again = client.get(URL)
    assert again.content == first.content and again["ETag"] == tag
    packed = client.get(URL, HTTP_ACCEPT_ENCODING="gzip, deflate")
    assert packed["Content-Encoding"] == "gzip" and gzip.decompress(packed.content) == first.content and len(packed.content) < len(first.content) / 4
    not_modified = client.get(URL, HTTP_IF_NONE_MATCH=f'"autre", {tag}')
    assert not_modified.status_code == 304 and not_modified.content == b"" and not_modified["ETag"] == tag
    assert client.get(URL, HTTP_IF_NONE_MATCH='"autre"').status_code == 200
    # another URL, another tag; an error is neither kept nor tagged
    assert client.get(URL.replace("limit=200", "limit=10"))["ETag"] != tag
    wrong = client.get("/api/v1/connectivite-fixe/commune?territoire=99999")
    assert wrong.status_code in (400, 404, 422) and not wrong.has_header("ETag")


def test_a_new_publication_gives_new_answers(client, fresh_data_dir):
    from terrinum.pillars import all_pillars, publication

    publies.ANSWERS.items.clear()
    before = client.get(URL)
    with publication.next_version() as con:
        for pillar in all_pillars():
            if pillar.key == "connectivite-fixe":
                pillar.demo(con)
    after = client.get(URL, HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200 and after["ETag"] != before["ETag"]
    assert json.loads(after.content)["count"] > json.loads(before.content)["count"] == 0


def test_private_routes_are_not_concerned(client, demo_warehouse):
    assert not client.get("/api/v1/pass-numerique/programmes").has_header("ETag")
    assert not client.get("/api/v1/territoires/commune/23096/diagnostic").has_header("ETag")
