"""The end-to-end clock (horloge/sitecustomize.py): the server's workers, the commands and the
scripts the tests start all live on `E2E_INSTANT`, not on the day the suite runs."""

import datetime as dt
import email.utils
import subprocess
import urllib.request

from tests.e2e.conftest import BIN, E2E_INSTANT, e2e_now


def test_server_and_commands_share_the_test_clock(server_env, server):
    with urllib.request.urlopen(server + "/") as answer:
        served = email.utils.parsedate_to_datetime(answer.headers["Date"])
    assert abs(served - e2e_now()) < dt.timedelta(minutes=2)
    script = "import django; django.setup(); from django.utils import timezone; print(timezone.localdate().isoformat())"
    result = subprocess.run([BIN / "python", "-c", script], env={**server_env, "DJANGO_SETTINGS_MODULE": "terrinum.web.settings"},
                            capture_output=True, text=True, timeout=120, check=True)  # fmt: skip
    assert result.stdout.strip() == e2e_now().date().isoformat()
    assert E2E_INSTANT <= e2e_now()
