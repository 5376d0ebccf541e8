"""The lock installs on a bare machine whatever newer releases the index serves later.

scripts/setup.sh installs requirements.lock without resolving anything (--no-deps, hashes
required): the pip bundled with Python 3.11 otherwise resolves an extra that a locked package
asks for (weasyprint's fonttools[woff]) against the index's newest release, and refuses it.
That is only safe if the lock is closed: every requirement of every locked distribution that
applies here, extras included, is met by a pinned release of the lock. Checked here from the
installed metadata; .ci/run proves the whole install from a new virtual environment."""

import importlib.metadata as md
import re
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^ ;\\]+)(?: *; *([^\\]+?))? *\\?$")


def locked() -> dict[str, str]:
    """Name -> version of the pins of requirements.lock that apply to this interpreter."""
    env = default_environment()
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        m = PIN.match(line)
        if m and (m[3] is None or Requirement(f"x; {m[3]}").marker.evaluate(env)):
            pins[canonicalize_name(m[1])] = m[2]
    return pins


def test_setup_installs_the_lock_as_it_is_hashes_checked_nothing_resolved():
    install = [line for line in (ROOT / "scripts/setup.sh").read_text().splitlines() if "-r requirements.lock" in line]
    assert install and all("--no-deps" in line and "--require-hashes" in line for line in install), install


def test_the_lock_is_closed_extras_included():
    pins = locked()
    assert "fonttools" in pins and "weasyprint" in pins
    wanted: list[tuple[str, Requirement]] = []  # (who asks, requirement)
    for name in pins:
        for text in md.requires(name) or []:
            wanted.append((name, Requirement(text)))
    extras: dict[str, set[str]] = {}
    missing, wrong = [], []
    seen: set[tuple[str, str]] = set()
    while wanted:
        who, req = wanted.pop()
        env = default_environment()
        if req.marker and not any(req.marker.evaluate({**env, "extra": e}) for e in extras.get(who, {""}) | {""}):
            continue
        name = canonicalize_name(req.name)
        if name not in pins:
            missing.append(f"{req} (demandé par {who})")
            continue
        if not req.specifier.contains(pins[name], prereleases=True):
            wrong.append(f"{req} (demandé par {who}) : le verrou fixe {pins[name]}")
        for extra in req.extras:
            if (name, extra) in seen:
                continue
            seen.add((name, extra))
            extras.setdefault(name, set()).add(extra)
            for text in md.requires(name) or []:
                sub = Requirement(text)
                if sub.marker and sub.marker.evaluate({**env, "extra": extra}) and not sub.marker.evaluate({**env, "extra": ""}):
                    wanted.append((name, sub))
    assert not missing and not wrong, missing + wrong
    assert ("fonttools", "woff") in seen  # weasyprint's extra was followed
