"""A broad `except Exception` catches bugs as well as outages; logging it without the
traceback makes a bug read like a platform being down (STYLE.md: exceptions are logged
with context)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).parent.parent
PACKAGES = ("adapters", "bot", "commands", "scheduler")
LOGS = {"debug", "info", "warning", "error", "critical"}


def _broad_handlers_logging_without_traceback() -> list[str]:
    found = []
    for path in sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not (isinstance(node, ast.ExceptHandler) and isinstance(node.type, ast.Name)):
                continue
            if node.type.id not in ("Exception", "BaseException"):
                continue
            for call in (c for s in node.body for c in ast.walk(s) if isinstance(c, ast.Call)):
                if (
                    isinstance(call.func, ast.Attribute)
                    and call.func.attr in LOGS
                    and not any(k.arg == "exc_info" for k in call.keywords)
                ):
                    found.append(f"{path.relative_to(ROOT)}:{call.lineno}")
    return found


def test_broad_excepts_log_the_traceback() -> None:
    assert _broad_handlers_logging_without_traceback() == []
