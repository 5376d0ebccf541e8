"""Logs of the platform: server errors with their traceback, to standard error and to a
rotating file in the data directory (`journaux/erreurs.log`), and Gunicorn's access log on
demand (`terrinum serve --journal-acces`). No personal data in them (docs/exploitation.md,
« Journaux »): the access log's format leaves out the client's address, the query string,
the referrer and the browser; every message and traceback goes through `SansDonneesPersonnelles`,
which masks e-mail addresses, phone numbers, bearer tokens and what follows « password »,
« mot_de_passe » or « token »."""

from __future__ import annotations

import logging
import re
import sys

# Method, path without its query string, status, size, duration: nothing about the person.
ACCESS_LOG_FORMAT = '%(t)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'

_MASKS = [
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "<courriel>"),
    (re.compile(r"(?<!\d)(?:\+33\s?|0)[1-9](?:[\s.-]?\d{2}){4}(?!\d)"), "<téléphone>"),
    (re.compile(r"(?i)(bearer\s+)[\w.~+/=-]+"), r"\1<jeton>"),
    (re.compile(r"(?i)((?:password|mot_de_passe|mot-de-passe|token|jeton)\w*['\"]?\s*[:=]\s*['\"]?)[^\s'\"&,}]+"), r"\1<masqué>"),
]


def mask(text: str) -> str:
    for pattern, replacement in _MASKS:
        text = pattern.sub(replacement, text)
    return text


class SansDonneesPersonnelles(logging.Filter):
    """Masks personal data in a record's message and traceback (formatted once here, so that
    every handler writes the masked text)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.msg, record.args = mask(message), None
        if record.exc_text:
            record.exc_text = mask(record.exc_text)
        record.exc_info = None if record.exc_text else record.exc_info
        return True


class StandardError(logging.StreamHandler):
    """A handler writing to the process's standard error as it is at each record (not as it
    was when logging was configured: a test runner or a daemon may replace it)."""

    def __init__(self):
        super().__init__(sys.stderr)

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value):
        pass


def logging_config(folder) -> dict:
    """Django's LOGGING: server errors (django.request), Terrinum's own warnings and errors,
    to standard error and to `folder/erreurs.log` (5 files of 5 MB)."""
    folder.mkdir(parents=True, exist_ok=True)
    handler_filters = ["sans_donnees_personnelles"]
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"sans_donnees_personnelles": {"()": SansDonneesPersonnelles}},
        "formatters": {"journal": {"format": "%(asctime)s %(levelname)s [%(name)s] %(message)s"}},
        "handlers": {
            "stderr": {"()": StandardError, "formatter": "journal", "filters": handler_filters, "level": "WARNING"},
            "fichier": {
                "class": "logging.handlers.RotatingFileHandler",
                "filename": str(folder / "erreurs.log"),
                "maxBytes": 5_000_000,
                "backupCount": 5,
                "encoding": "utf-8",
                "delay": True,
                "formatter": "journal",
                "filters": handler_filters,
                "level": "WARNING",
            },
        },
        "loggers": {
            "django.request": {"handlers": ["stderr", "fichier"], "level": "ERROR", "propagate": False},
            "django.security": {"handlers": ["stderr", "fichier"], "level": "WARNING", "propagate": False},
            "terrinum": {"handlers": ["stderr", "fichier"], "level": "WARNING", "propagate": False},
        },
    }
