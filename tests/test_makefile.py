"""The Makefile's set-up checks, run on a copy of it in an empty directory."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent


def _make(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    return subprocess.run(
        ["make", *args], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )


def test_too_old_a_python_is_named_before_anything_is_installed(tmp_path: Path) -> None:
    pyproject = (ROOT / "pyproject.toml").read_text()
    newer = pyproject.replace('requires-python = ">=3.11"', 'requires-python = ">=3.99"')
    assert newer != pyproject
    (tmp_path / "pyproject.toml").write_text(newer)
    done = _make(tmp_path, f"PYTHON={sys.executable}", ".venv/.installed")
    assert done.returncode != 0
    assert "caio-bot needs Python 3.99 or newer" in done.stderr
    assert not (tmp_path / ".venv").exists()


def test_make_clean_keeps_the_local_database(tmp_path: Path) -> None:
    """caio.db holds a developer's clients and advice, not anything a build made."""
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / "caio.db").write_text("advice")
    (tmp_path / ".ruff_cache").mkdir()
    assert _make(tmp_path, "clean").returncode == 0
    assert (tmp_path / "caio.db").exists()
    assert not (tmp_path / ".ruff_cache").exists()
