"""The permission table names real commands: a misspelt row matches nothing, and the
command it meant to guard falls through to "open to every role" without an error."""

from __future__ import annotations

from fnmatch import fnmatchcase

from bot.permissions import PERMISSIONS
from bot.registry import load_commands

# Rows that guard buttons rather than a command of that name (commands/escalate.py checks
# `ctx.may("resolve")` before resolving or reopening an escalation).
BUTTON_ONLY = {"resolve"}


def test_every_permission_row_matches_a_registered_command() -> None:
    names = list(load_commands().commands)
    unmatched = [
        pattern
        for pattern, _ in PERMISSIONS
        if pattern not in BUTTON_ONLY and not any(fnmatchcase(n, pattern) for n in names)
    ]
    assert unmatched == []


def test_button_only_rows_are_still_in_the_table() -> None:
    assert {pattern for pattern, _ in PERMISSIONS} >= BUTTON_ONLY
