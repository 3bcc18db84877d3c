"""The suite resets the PostgreSQL database it is pointed at, so it refuses one whose name
does not say it is for tests: a developer's or production database pasted by mistake."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent


def test_the_suite_refuses_a_database_not_named_for_tests() -> None:
    # Nothing listens on port 9: refusing must come before any connection.
    env = {**os.environ, "CAIO_TEST_DATABASE_URL": "postgresql://postgres@127.0.0.1:9/caio"}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_text.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert 'whose name contains "test"' in done.stdout + done.stderr
