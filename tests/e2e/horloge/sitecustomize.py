"""The end-to-end tests' clock, for every Python process they start.

`tests/e2e/conftest.py` puts this directory first on PYTHONPATH of the server's environment
and sets TERRINUM_E2E_HORLOGE to « <instant ISO>@<real epoch seconds> »: each process started
with it (the server and its workers, the jobs worker, `terrinum` commands, scripts) reads the
clock as that instant plus the real time elapsed since the epoch given, so that all of them —
and the test process, through `conftest.e2e_now()` — agree on one date that does not depend
on the day the suite runs. Gunicorn's worker timeouts use the monotonic clock, left untouched.
"""

import os

_clock = os.environ.get("TERRINUM_E2E_HORLOGE")
if _clock:
    import datetime as _dt
    import time as _time

    import time_machine as _time_machine

    _instant, _anchor = _clock.rsplit("@", 1)
    _time_machine.travel(_dt.datetime.fromisoformat(_instant) + _dt.timedelta(seconds=_time.time() - float(_anchor)), tick=True).start()
