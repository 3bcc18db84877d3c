"""Two clients in one console: `demo` (the default workspace) and `globex` (its own
workspace), so tests can switch who is typing and where, and check what each one sees."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from adapters.console import PLATFORM
from bot.db.models import Role
from bot.directory import ensure_client, link_workspace, set_role
from bot.events import Actor, Address
from config.settings import get_settings
from tests.conftest import Chat

OTHER = "globex"


@dataclass
class Teams:
    chat: Chat

    async def be(self, name: str, role: Role = Role.MEMBER, client: str = "demo") -> None:
        """Type as `name` with `role`, in the #general channel of `client`'s workspace."""
        workspace = "console" if client == "demo" else client
        actor = Actor(PLATFORM, name, name)
        async with self.chat.bot.db.session() as session:
            await set_role(session, client, actor, role)
        self.chat.adapter.state.actor = actor
        self.chat.adapter.state.address = Address(PLATFORM, workspace, "general")

    def go(self, channel: str, thread: str | None = None) -> None:
        here = self.chat.adapter.state.address
        self.chat.adapter.state.address = Address(here.platform, here.workspace, channel, thread)


@pytest.fixture
async def teams(chat: Chat, tmp_path: Path) -> Teams:
    chat.adapter.files_dir = tmp_path / "files"
    async with chat.bot.db.session() as session:
        await ensure_client(
            session,
            OTHER,
            name="Globex",
            now=chat.bot.clock.now(),
            queue=Address(PLATFORM, OTHER, "caio-queue"),
        )
        await link_workspace(session, OTHER, PLATFORM, OTHER)
    return Teams(chat)


@pytest.fixture
def cli_env(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The CLI reads DATABASE_URL through the cached settings: point both at the test db."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield database_url
    get_settings.cache_clear()


def uploaded(output: str) -> dict[str, bytes]:
    """The files the console saved for an upload (`[file] NAME saved to PATH`), by name."""
    files = {}
    for line in output.splitlines():
        if "  [file] " in line:
            name, path = line.split("  [file] ")[1].split(" saved to ")
            files[name] = Path(path).read_bytes()
    return files
