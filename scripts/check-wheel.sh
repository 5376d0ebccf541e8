#!/usr/bin/env bash
# The package installed alone works: build the wheel, install it into a bare virtual
# environment with the dependencies pyproject.toml declares (versions pinned by the lock,
# without its hashes), and run the main verbs in a temporary data directory. Catches a direct
# import missing from pyproject.toml, or a file missing from the wheel (templates,
# methodology pages, vendored reference).
set -euo pipefail
cd "$(dirname "$0")/.."
tmp="$(mktemp -d /tmp/terrinum-wheel.XXXXXX)"
trap 'rm -rf "$tmp"' EXIT
.venv/bin/python -m pip wheel --quiet --disable-pip-version-check --no-deps --no-build-isolation -w "$tmp/dist" .
grep -E '^[A-Za-z0-9]' requirements.lock | sed 's/ *\\$//' > "$tmp/constraints.txt"
"${PYTHON:-python3}" -m venv "$tmp/venv"
"$tmp/venv/bin/python" -m pip install --quiet --disable-pip-version-check -c "$tmp/constraints.txt" "$tmp"/dist/terrinum-*.whl
export TERRINUM_DATA_DIR="$tmp/data"
cd "$tmp"  # not the source tree: only the installed package is importable
t="$tmp/venv/bin/terrinum"
"$t" --help >/dev/null
"$t" init >/dev/null
"$t" demo >/dev/null
"$t" territoire 23096 --format json >/dev/null
"$t" indicateurs fragilite --niveau commune --territoire 240800862 --format json >/dev/null
"$t" indicateurs dictionnaire --format csv >/dev/null
"$t" implantation --territoire 240800862 --nouveaux 1 --format json >/dev/null
DJANGO_SETTINGS_MODULE=terrinum.web.settings "$tmp/venv/bin/python" - <<'PY'
import django

django.setup()
from django.test import Client

client = Client()
for url in ("/", "/territoires/commune/23096/", "/methodologie/fragilite", "/api/v1/openapi.json"):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
PY
echo "Paquet installé seul : commandes et pages principales en état de marche."
