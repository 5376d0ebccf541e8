"""A crawl of the real server, as a visitor and as each kind of account: every link of every
page type leads somewhere (0 × 4xx, 0 × 5xx). The France page's « Diagnostic numérique
complet » went to /france/diagnostic/ (404) before anybody noticed.

A page type is a route (and a territory level, and the set of query parameters): the crawl
follows every same-site link it finds, fetching at most `PER_TYPE` pages of each type, so
that it visits each kind of page without walking 35,000 communes."""

from __future__ import annotations

import http.cookiejar
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter, deque

import pytest
from django.urls import Resolver404, resolve

from tests.e2e.conftest import E2E_PASSWORD, run_cli

PER_TYPE = 2
# A siting run launched by a visitor counts against the visitor's per-minute allowance
# (views.SITING_RATE, per address): the visitor's crawl hands those links to a signed-in
# account (not limited), so that the journeys after it can still launch theirs.
LAUNCH = re.compile(r"/territoires/(commune|epci|departement)/[^/]+/implantation/\?.*nouveaux=")
SKIP = ("/deconnexion/", "/admin/", "/static/")
# (account, organisation, type, role, territory): one per kind of user of JOURNEYS.md.
ACCOUNTS = [
    ("crawl-mairie", "Mairie de Guéret (parcours des liens)", "collectivite", "gestionnaire", "23096"),
    ("crawl-financeur", "Département de la Creuse (parcours des liens)", "financeur", "gestionnaire", None),
    ("crawl-prescripteur", "CCAS de Guéret (parcours des liens)", "prescripteur", "gestionnaire", None),
    ("crawl-dpo", "Syndicat mixte (parcours des liens)", "mutualisation", "dpo", None),
    ("crawl-equipe", "Équipe projet de la Creuse (parcours des liens)", "equipe_projet", "gestionnaire", "23"),
    ("crawl-cc", "Communauté de communes (parcours des liens)", "collectivite", "gestionnaire", "200034825"),
]


def page_type(url: str) -> str | None:
    parts = urllib.parse.urlsplit(url)
    try:
        match = resolve(parts.path)
    except Resolver404:
        return None
    level = match.kwargs.get("niveau", "")
    return f"{match.url_name}:{level}?{','.join(sorted(urllib.parse.parse_qs(parts.query)))}"


def crawl(base: str, opener, seeds: list[str], known: frozenset = frozenset(), handed: list | None = None) -> tuple[list, Counter]:
    """Fetch every page type reachable from `seeds`, but the `known` ones (crawled already,
    by a visitor) except the seeds, and but siting launches when `handed` collects them:
    (broken links, pages fetched per type)."""
    seen, broken, fetched = set(), [], Counter()
    queue = deque((seed, "(départ)") for seed in seeds)
    while queue:
        url, referrer = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        kind = page_type(url)
        if kind is None:
            broken.append((url, 404, referrer))
            continue
        if fetched[kind] >= (1 if kind.startswith("diagnostic-pdf") else PER_TYPE) or (kind in known and referrer != "(départ)"):
            continue
        if handed is not None and LAUNCH.search(url):
            handed.append(url)
            continue
        fetched[kind] += 1
        try:
            with opener.open(base + url, timeout=180) as response:
                body = response.read()
                content_type = response.headers.get("Content-Type", "")
        except urllib.error.HTTPError as error:
            broken.append((url, error.code, referrer))
            continue
        if "text/html" not in content_type:
            continue
        for href in re.findall(r'href="(/[^"#]*)', body.decode()):
            href = href.replace("&amp;", "&")
            if not href.startswith(SKIP):
                queue.append((href, url))
    return broken, fetched


def signed_in(base: str, user: str):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(f"{base}/connexion/") as response:
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.read().decode())[1]
    form = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "username": user, "password": E2E_PASSWORD, "next": "/"}).encode()
    request = urllib.request.Request(f"{base}/connexion/", data=form, headers={"Referer": f"{base}/connexion/"})
    with opener.open(request) as response:
        assert "connexion" not in response.geturl(), f"{user} n'a pas pu se connecter"
    return opener


@pytest.fixture(scope="module")
def crawl_accounts(server_env):
    for user, organisation, kind, role, territory in ACCOUNTS:
        run_cli(
            server_env,
            "compte",
            "creer",
            user,
            "--organisation",
            organisation,
            "--type",
            kind,
            "--role",
            role,
            *(["--territoire", territory] if territory else []),
        )
    return [a[0] for a in ACCOUNTS]


def test_every_link_of_every_page_type_answers(server, crawl_accounts):
    seeds = ["/", "/france/", "/territoires/departement/23/", "/territoires/commune/23096/", "/territoires/epci/200034825/", "/lieux/", "/donnees/"]
    started = time.monotonic()
    launches: list[str] = []
    broken, fetched = crawl(server, urllib.request.build_opener(), seeds, handed=launches)
    assert not broken, broken
    assert launches, "aucun lien de calcul d'implantation trouvé"
    visitor_types = set(fetched)
    assert len(visitor_types) > 15, sorted(visitor_types)
    for i, user in enumerate(crawl_accounts):
        start = ["/", *seeds[1:3], *(sorted(set(launches)) if i == 0 else [])]
        broken, fetched = crawl(server, signed_in(server, user), start, frozenset(visitor_types))
        assert not broken, (user, broken)
        assert set(fetched) - visitor_types, (user, "aucune page propre à ce compte")
        print(user, sorted(set(fetched) - visitor_types))
    print(f"parcours des liens : {time.monotonic() - started:.0f} s")
