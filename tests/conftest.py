"""Shared fixtures: a migrated database (SQLite by default, PostgreSQL when
CAIO_TEST_DATABASE_URL is set), a controllable clock, the Bot, and a console harness that
reads like a conversation (`await chat.say(...)`, `chat.pop()`)."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import sqlalchemy as sa

from adapters.console import ConsoleAdapter
from bot.clock import ManualClock
from bot.core import Bot
from bot.db.engine import sync_url
from bot.db.migrate import upgrade
from bot.wiring import bootstrap_console, build_bot, start, stop
from config.settings import Settings

# Property tests explore new inputs on developers' machines; in CI they replay a fixed
# sequence, so a submission is judged on the same examples every time it runs.
hypothesis.settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    hypothesis.settings.load_profile("ci")

PG_URL = os.environ.get("CAIO_TEST_DATABASE_URL")
START = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # a Tuesday morning

requires_postgres = pytest.mark.skipif(not PG_URL, reason="set CAIO_TEST_DATABASE_URL")


def _named_for_tests(url: str) -> bool:
    """The suite drops the schema of the database it is given: only one named for tests."""
    return "test" in (sa.make_url(sync_url(url)).database or "")


def pytest_configure(config: pytest.Config) -> None:
    if PG_URL and not _named_for_tests(PG_URL):
        pytest.exit(
            f"refusing to run: CAIO_TEST_DATABASE_URL names {PG_URL}, whose schema the suite "
            'would drop; use a database whose name contains "test"',
            returncode=2,
        )


def _offers_pgvector(url: str | None) -> bool:
    if not url or not _named_for_tests(url):
        return False
    engine = sa.create_engine(sync_url(url))
    try:
        with engine.connect() as conn:
            offered = "SELECT 1 FROM pg_available_extensions WHERE name = 'vector'"
            return conn.execute(sa.text(offered)).first() is not None
    finally:
        engine.dispose()


# The test database's migrations turn pgvector on wherever its server offers it.
PGVECTOR = _offers_pgvector(PG_URL)
requires_pgvector = pytest.mark.skipif(
    not PGVECTOR, reason="set CAIO_TEST_DATABASE_URL to a PostgreSQL with pgvector installed"
)


def _reset_postgres(url: str) -> None:
    engine = sa.create_engine(sync_url(url))
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


def _truncate_postgres(url: str) -> None:
    engine = sa.create_engine(sync_url(url))
    with engine.begin() as conn:
        tables = [
            r[0]
            for r in conn.execute(
                sa.text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                    "AND tablename NOT IN ('alembic_version')"
                )
            )
        ]
        if tables:
            conn.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(scope="session")
def _migrated(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Migrate once per run: a template SQLite file, or the PostgreSQL test schema."""
    if PG_URL:
        _reset_postgres(PG_URL)
        upgrade(PG_URL)
        return PG_URL
    template = tmp_path_factory.mktemp("template") / "caio.db"
    upgrade(f"sqlite:///{template}")
    return str(template)


@pytest.fixture
def database_url(_migrated: str, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database for each test."""
    if PG_URL:
        _truncate_postgres(PG_URL)
        yield PG_URL
        return
    target = tmp_path / "caio.db"
    shutil.copy(_migrated, target)
    yield f"sqlite:///{target}"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


def make_settings(database_url: str, **overrides: Any) -> Settings:
    """Settings for tests: nothing read from the environment or a .env file; `overrides`
    are Settings fields, checked by pydantic as the environment would be."""
    values: dict[str, Any] = {"database_url": database_url, "openai_api_key": None}
    values.update(overrides)
    return Settings(_env_file=None, **values)


async def kill(bot: Bot) -> None:
    """What `kill -9` (or running out of memory) leaves behind: the process's work and
    heartbeat just stop; its claims and heartbeat row stay in the database as they were."""
    for task in asyncio.all_tasks():
        if task.get_name() == f"heartbeat {bot.liveness.process}":
            task.cancel()
    await bot.drain(grace=0)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url)


@pytest.fixture
async def bot(settings: Settings, clock: ManualClock) -> AsyncIterator[Bot]:
    bot = build_bot(settings, clock=clock)
    yield bot
    await stop(bot)


class Chat:
    """A conversation with the bot over the console adapter, errbot-testbot style."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self.lines: list[str] = []
        self.adapter = ConsoleAdapter(bot, write=self.lines.append)
        self._read = 0

    async def say(self, line: str) -> str:
        """Type a line; returns everything the bot printed in response."""
        await self.adapter.handle_line(line)
        await self.bot.drain()
        return self.pop()

    def pop(self) -> str:
        new = self.lines[self._read :]
        self._read = len(self.lines)
        return "\n".join(new)

    def button(self, output: str, label: str) -> str:
        """The number to type to click `label` in `output` (the last such button)."""
        import re

        found = re.findall(rf"\[(\d+)\] {re.escape(label)}(?:\s|$)", output)
        assert found, f"no {label!r} button in:\n{output}"
        return str(found[-1])


@pytest.fixture
async def chat(bot: Bot) -> AsyncIterator[Chat]:
    conversation = Chat(bot)
    bot.add_adapter(conversation.adapter)
    await bootstrap_console(bot)
    await start(bot)
    yield conversation
