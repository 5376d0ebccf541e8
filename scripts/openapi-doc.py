"""Write docs/openapi.json, the committed snapshot of the API's OpenAPI schema
(tests/web/test_api.py fails while it differs from what the code serves, so that a change of
the public API is seen in review).

    .venv/bin/python scripts/openapi-doc.py
"""

import json
import os
import sys
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "openapi.json"


def schema_text() -> str:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "terrinum.web.settings")
    import django

    django.setup()
    from terrinum.web.api import api

    schema = json.loads(json.dumps(api.get_openapi_schema(path_prefix="/api/v1/")))  # response codes as strings, as served
    return json.dumps(schema, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


if __name__ == "__main__":
    DOC.write_text(schema_text(), encoding="utf-8")
    sys.stderr.write(f"{DOC} écrit\n")
