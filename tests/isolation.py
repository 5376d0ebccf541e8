"""Loaded before anything else (`-p tests.isolation`, pyproject.toml): every test run gets its
own temporary data directory, so that the tests never read nor write the user's (./var, or
TERRINUM_DATA_DIR), and `./run.sh` followed by `./test.sh` on one clone passes. The reference
build cache (derived from the packaged sources, keyed by their versions) is shared between
runs in .cache/tests/, outside any data directory."""

import atexit
import os
import shutil
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
USER_DATA_DIR = Path(os.environ.get("TERRINUM_DATA_DIR", REPO / "var")).resolve()

root = Path(tempfile.mkdtemp(prefix="terrinum-tests-"))
cache = REPO / ".cache" / "tests" / "reference"
cache.mkdir(parents=True, exist_ok=True)
(root / "cache").symlink_to(cache, target_is_directory=True)
os.environ["TERRINUM_DATA_DIR"] = str(root)
atexit.register(shutil.rmtree, root, ignore_errors=True)
