"""CSV for people who open it in a spreadsheet: every CSV the bot writes goes through
`to_csv`, so no cell can run as a formula (OWASP's CSV-injection advice)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence

# A spreadsheet reads a cell starting with one of these as a formula, even after a tab/CR.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: str) -> str:
    """The value, prefixed with `'` if a spreadsheet would evaluate it, so it shows as text."""
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def to_csv(
    records: Iterable[Mapping[str, str]], fields: Sequence[str], *, lineterminator: str = "\r\n"
) -> str:
    """A header row of `fields`, then one row per record, every cell made safe."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator=lineterminator)
    writer.writeheader()
    writer.writerows({k: safe_cell(v) for k, v in r.items()} for r in records)
    return buffer.getvalue()
