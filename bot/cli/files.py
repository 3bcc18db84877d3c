"""The files an operator imports, read one way for every `import` command, so a file that
is not text is refused with its name before anything is imported."""

from __future__ import annotations

from pathlib import Path

import typer


def read_import(file: Path) -> str:
    """The file's UTF-8 text, without the byte-order mark Windows tools put first; anything
    else exits 1 naming the file."""
    try:
        return file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        problem = "not UTF-8 text"
    except OSError as exc:
        problem = exc.strerror or str(exc)
    typer.echo(f"{file}: {problem}; nothing imported", err=True)
    raise typer.Exit(1)
