"""Runtime configuration read from the environment (no secret is ever stored in the code)."""

import os
import secrets
from pathlib import Path


def data_dir() -> Path:
    """The data directory: `TERRINUM_DATA_DIR`, default `./var`."""
    path = Path(os.environ.get("TERRINUM_DATA_DIR", "var")).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def secret_key() -> str:
    """`TERRINUM_SECRET_KEY`, or a random key generated once and kept in the data directory."""
    key = os.environ.get("TERRINUM_SECRET_KEY")
    if key:
        return key
    path = data_dir() / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


def trusted_proxies() -> str:
    """`TERRINUM_MANDATAIRES`: the addresses (or networks, or `*`) of the reverse proxies whose
    `X-Forwarded-*` headers are believed, by Gunicorn and by the throttles; default
    `127.0.0.1` (a proxy on the same machine, docs/exploitation.md)."""
    return os.environ.get("TERRINUM_MANDATAIRES", "127.0.0.1")


def reading(name: str):
    """A computation an operational app needs from a pillar (apps sit below the pillars and
    never import them): the function the web project's settings name for it
    (TERRINUM_LECTURES), imported on first use."""
    from django.conf import settings
    from django.utils.module_loading import import_string

    return import_string(settings.TERRINUM_LECTURES[name])
