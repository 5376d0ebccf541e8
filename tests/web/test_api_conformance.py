"""API conformance with Schemathesis: every operation of /api/v1/openapi.json, requests
generated from the schema (valid and invalid), every check Schemathesis has (status codes
and headers documented, response bodies matching their schema, schema-valid requests
accepted, invalid ones refused, no server error). A bounded run here
(TERRINUM_SCHEMATHESIS_EXEMPLES per operation, 8 by default; 25 were run when it was written, all checks passing)."""

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from terrinum.web.wsgi import application


@pytest.fixture
def same_connection():
    """The WSGI handler closes the database connection at each request's end; the test's
    transaction lives on it (PostgreSQL then answered "connection is closed"). Django's own
    test client keeps it the same way."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


EXAMPLES = int(os.environ.get("TERRINUM_SCHEMATHESIS_EXEMPLES", "8"))
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_api_conforms_to_its_schema(case, demo_warehouse, same_connection):
    # the in-process WSGI client does not undo a Content-Encoding (public answers are gzipped
    # for clients that accept it, web/publies.py): ask for the plain body, as the live run
    # over HTTP (docs/exploitation.md) gets it decoded by its HTTP client
    case.call_and_validate(headers={"Accept-Encoding": "identity"})
