"""Published answers served like static files.

An answer of the public indicator API (`/api/v1/connectivite-fixe/…`, `…/fragilite/…`, the
dictionary…) is the same bytes for every client until the next publication of the warehouse:
it depends only on its URL and on the warehouse version. This middleware keeps each such
answer once per version, compressed once, with an entity tag made of the version and the
URL: a client that sends the tag back (`If-None-Match`) gets 304 without anything being
read; the others get the kept bytes (gzip when they accept it), without the session,
authentication or view layers. A new publication makes a new version, hence new tags and
new answers.

Only GET and HEAD of the routes listed in PUBLIC are concerned: the routes whose answer
is read from the published tables alone (no account, no operational data).

`VisitorPages` does the same for the pages a visitor without account reads most (territory
pages, the fixed-connectivity overview, the diagnostic: views marked `kept_for_visitors`).
Such a page also depends on the registry state (places, démarches: `change_stamp`) and on
the day; it is kept with the headers the inner layers gave it (content security policy,
frame options) and served to the next request without a session cookie before the session,
authentication and view layers (docs/notes-techniques.md, « cinquième passe »).
A request that carries a session cookie always goes through the whole stack.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import re

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified

from terrinum.pillars import change_stamp
from terrinum.warehouse import store

PUBLIC = re.compile(r"^/api/v1/(?:(?:connectivite-fixe|connectivite-mobile|fragilite|technologies)/[a-z]+(?:/[0-9A-Za-z]{1,9})?|indicateurs/dictionnaire)$")
MAX_KEPT_BYTES = 4_000_000  # a larger answer (a page of 2,000 rows of a wide table) is served as computed
MAX_AGE = 300  # seconds a client may reuse an answer without asking (a publication is rare)
ANSWERS_BUDGET = 64_000_000  # bytes of kept answers (raw and gzipped) in a process


def kept_size(kept: tuple) -> int:
    """The bytes of a kept answer or page: (headers or content type, (raw, gzipped))."""
    return sum(map(len, kept[1]))


ANSWERS = store.Cache(512, weight=kept_size, budget=ANSWERS_BUDGET)


def entity_tag(version: tuple, url: str) -> str:
    return '"' + hashlib.blake2b(repr((version, url)).encode(), digest_size=12).hexdigest() + '"'


def kept_bytes(body: bytes) -> tuple[bytes, bytes]:
    """An answer kept to be served again: its bytes, and the same gzipped once."""
    return body, gzip.compress(body, compresslevel=6, mtime=0)


def serve_kept(request: HttpRequest, kept: tuple[bytes, bytes], content_type: str | None = None) -> HttpResponse:
    """A kept answer, gzipped when the client accepts it (and smaller so)."""
    body, packed = kept
    if "gzip" in request.headers.get("Accept-Encoding", "") and len(packed) < len(body):
        response = HttpResponse(packed, content_type=content_type)
        response["Content-Encoding"] = "gzip"
        return response
    return HttpResponse(body, content_type=content_type)


class PublishedAnswers:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method not in ("GET", "HEAD") or not PUBLIC.match(request.path):
            return self.get_response(request)
        version = store.version()
        if version is None:
            return self.get_response(request)
        url = request.get_full_path()
        tag = entity_tag(version, url)
        if tag in [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]:
            return self._headers(HttpResponseNotModified(), tag)
        kept = ANSWERS.get((url, version))
        if kept is None:
            response = self.get_response(request)
            if response.status_code != 200 or response.streaming or len(response.content) > MAX_KEPT_BYTES or store.version() != version:
                return response  # an error, a file, or a publication during the request: not kept
            kept = (response["Content-Type"], kept_bytes(response.content))
            ANSWERS.put((url, version), kept)
        content_type, answer = kept
        return self._headers(serve_kept(request, answer, content_type), tag)

    @staticmethod
    def _headers(response: HttpResponse, tag: str) -> HttpResponse:
        response["ETag"] = tag
        response["Cache-Control"] = f"public, max-age={MAX_AGE}"
        response["Vary"] = "Accept-Encoding"
        return response


PAGES_BUDGET = 32_000_000  # bytes of kept pages (raw and gzipped) in a process
# (path, warehouse version, registry state, day) → (headers, kept bytes)
PAGES = store.Cache(64, weight=kept_size, budget=PAGES_BUDGET)
KEPT_PATHS: set[str] = set()  # paths whose page was kept once: only they cost the key's query
MAX_KEPT_PATHS = 100_000
SERVED_HEADERS = {"content-length", "content-encoding", "vary", "set-cookie"}  # set again when served
ACCOUNT = re.compile(rb"<!--compte-->.*?<!--/compte-->", re.S)  # web/templates/web/base.html


def page_key(request: HttpRequest) -> tuple:
    return (request.get_full_path(), store.version(), change_stamp(), dt.date.today())


def with_account(body: bytes, request: HttpRequest) -> bytes:
    """A kept page with the navigation's account part as `request`'s reader sees it (the only
    part of these pages that depends on who reads them: web/_compte.html)."""
    from django.template.loader import render_to_string

    part = b"<!--compte-->" + render_to_string("web/_compte.html", request=request).encode() + b"<!--/compte-->"
    return ACCOUNT.sub(lambda _: part, body, count=1)


def kept_for_visitors(view):
    """Marks a view whose page is the same for every reader but for the navigation's account
    part. A visitor's page is kept and served by `VisitorPages`. A signed-in user's page is the
    kept one with the user's account part (a form token, the account's links); rendered once
    when none is kept yet, it leaves the visitor's version to keep."""
    import functools

    from django.contrib.auth.models import AnonymousUser

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method != "GET":
            return view(request, *args, **kwargs)
        key = page_key(request)  # before rendering: a change during the render makes a new key
        if not request.user.is_authenticated:
            response = view(request, *args, **kwargs)
            response.kept_as = (key, response.content if response.status_code == 200 and not response.streaming else None)
            return response
        kept = PAGES.get(key)
        if kept is not None:
            headers, (body, _) = kept
            return HttpResponse(with_account(body, request), content_type=dict(headers).get("Content-Type"))
        response = view(request, *args, **kwargs)
        if response.status_code == 200 and not response.streaming:
            visitor = HttpRequest()
            visitor.user = AnonymousUser()
            response.kept_as = (key, with_account(response.content, visitor))
        return response

    return wrapper


class VisitorPages:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        path = request.get_full_path()
        signed_in = settings.SESSION_COOKIE_NAME in request.COOKIES  # perhaps: the whole stack
        kept = PAGES.get(page_key(request)) if path in KEPT_PATHS and not signed_in else None
        if kept is None:
            response = self.get_response(request)
            key, body = getattr(response, "kept_as", (None, None))
            # the headers kept never hold cookies (SERVED_HEADERS; cookies are apart); a
            # visitor's answer that sets one is not kept
            if body is None or (not signed_in and response.cookies):
                return response
            kept = self._keep(key, path, response, body)
            if signed_in:
                return response
        headers, answer = kept
        response = serve_kept(request, answer)
        for name, value in headers:
            response[name] = value
        response["Vary"] = "Accept-Encoding, Cookie"
        return response

    @staticmethod
    def _keep(key: tuple, path: str, response: HttpResponse, body: bytes) -> tuple:
        # compressed once (Guéret 40 KB → 12 KB, the Creuse 996 KB → 295 KB); no secret in a
        # visitor's page, so compression leaks nothing
        kept = ([(k, v) for k, v in response.items() if k.lower() not in SERVED_HEADERS], kept_bytes(body))
        PAGES.put(key, kept)
        if len(KEPT_PATHS) >= MAX_KEPT_PATHS:  # paths differ by their query string: bounded too
            KEPT_PATHS.clear()
        KEPT_PATHS.add(path)
        return kept
