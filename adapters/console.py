"""The console adapter: the whole bot in a terminal, no tokens, no network.

Lines starting with `/caio` are commands; a bare number clicks that numbered button;
`/as <name> [role]` switches who you are; `/thread N` and `/channel NAME` move you
(plain text typed in a thread is a thread reply, as in Slack); `/quit` ends. A form is
asked one field per line (`/cancel` drops it).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from bot.adapter import DeliveryError
from bot.db.addresses import stored_threads
from bot.db.models import Role
from bot.directory import client_for, set_role
from bot.events import Action, Actor, Address, Command, Inbound, Mention, ThreadReply
from bot.forms import Form, FormField, encode
from bot.message import Message, Posted

if TYPE_CHECKING:
    from bot.core import Bot

PLATFORM = "console"
WORKSPACE = "console"
GENERAL = Address(PLATFORM, WORKSPACE, "general")
QUEUE = Address(PLATFORM, WORKSPACE, "caio-queue")
BOT_NAME = "caio-bot"
FILES_DIR = Path(tempfile.gettempdir()) / "caio-bot-files"  # uploads (reports, exports) land here

CONSOLE_HELP = (
    "Console: `/caio help` for commands · a number clicks that button · "
    "`/as <name> [member|lead|caio|admin]` · `/thread N` · `/channel NAME` · `/quit`"
)


@dataclass(frozen=True)
class Directive:
    """A console-only instruction (not a chat event)."""

    name: str
    args: tuple[str, ...] = ()


@dataclass
class Filling:
    """A form being answered at the prompt: who asked for it and the answers so far."""

    form: Form
    actor: Actor
    values: dict[str, str] = field(default_factory=dict)

    @property
    def current(self) -> FormField | None:
        return next((f for f in self.form.fields if f.id not in self.values), None)


def prompt(field: FormField) -> str:
    """`Context? `, `Days [mon-fri]? `, `Options (optional)? `."""
    shown = f" [{field.initial}]" if field.initial else ""
    optional = " (optional)" if not field.required and not field.initial else ""
    return f"  {field.label}{shown}{optional}? "


@dataclass
class ConsoleState:
    actor: Actor = field(default_factory=lambda: Actor(PLATFORM, "dev", "dev"))
    address: Address = GENERAL


def parse_line(line: str, state: ConsoleState) -> Inbound | Directive | None:
    """Translate one typed line into a neutral event or a console directive (pure)."""
    text = line.replace("\x00", "").strip()  # a NUL means nothing typed, and PostgreSQL refuses it
    if not text:
        return None
    if text.isdecimal():
        return Directive("click", (text,))
    lowered = text.lower()
    if lowered == "/caio" or lowered.startswith("/caio "):
        return Command(text[5:].strip(), state.actor, state.address)
    if text.startswith("/"):
        name, *args = text[1:].split()
        return Directive(name.lower(), tuple(args))
    if "@caio" in lowered:
        return Mention(
            text.replace("@caio-bot", "").replace("@caio", "").strip(), state.actor, state.address
        )
    direct = state.address.channel.startswith("@")
    if state.address.thread is not None or direct:
        # A thread, or a direct message with the bot (`/channel @you`), as on Slack.
        return ThreadReply(text, state.actor, state.address, direct=direct)
    return Directive("chat", (text,))


def render(message: Message, posted: Posted | None, numbers: list[int]) -> str:
    """Plain text, with buttons numbered so that typing the number clicks them."""
    where = posted.address if posted else message.address
    place = f"#{where.channel}" if where else "#?"
    if where and where.thread:
        place += f" › thread {where.thread}"
    who = "(only you) " if message.ephemeral else ""
    lines = [f"[{place}] {who}{BOT_NAME}:"]
    if message.title:
        lines.append(f"  ** {message.title} **")
    lines.extend(f"  {line}" for line in message.text.splitlines())
    lines.extend(f"  {k}: {v}" for k, v in message.fields)
    lines.extend(f"  ({note})" for note in message.notes)
    if message.actions:
        lines.append(
            "  "
            + "  ".join(f"[{n}] {b.label}" for n, b in zip(numbers, message.actions, strict=True))
        )
    return "\n".join(lines)


class ConsoleAdapter:
    platform = PLATFORM
    live_updates = False

    def __init__(
        self,
        bot: Bot,
        write: Callable[[str], None] | None = None,
        files_dir: Path | None = None,
    ) -> None:
        self.bot = bot
        self.files_dir = files_dir or FILES_DIR
        self.state = ConsoleState()
        self._write = write or (lambda text: print(text, flush=True))
        self._ids = count(1)
        self._threads: dict[str, Address] = {}  # by the number `/thread N` takes
        self._numbers = count(1)
        self._buttons: dict[int, tuple[str, str, Posted]] = {}
        self._running = False
        self._filling: Filling | None = None

    # -- Adapter ---------------------------------------------------------------------------
    async def send(self, message: Message) -> Posted:
        assert message.address is not None
        posted = Posted(message.address, str(next(self._ids)))
        self._show(message, posted)
        return posted

    async def update(self, posted: Posted, message: Message) -> None:
        self._show(message, posted)

    async def open_thread(self, root: Posted, title: str) -> Address:
        number = str(max((int(n) for n in self._threads if n.isdecimal()), default=0) + 1)
        thread = self._threads[number] = root.address.in_thread(number)
        self._write(f"  ↳ thread {thread.thread} in #{thread.channel} (`/thread {thread.thread}`)")
        return thread

    async def permalink(self, address: Address) -> str:
        thread = f" › thread {address.thread}" if address.thread else ""
        return f"#{address.channel}{thread}"

    async def react(self, posted: Posted, emoji: str) -> None:
        self._write(f"  [{BOT_NAME} reacted :{emoji}: to message {posted.message_id}]")

    async def send_direct(self, workspace: str, user_id: str, message: Message) -> Posted:
        if not user_id:
            raise DeliveryError("no such person")
        dm = Address(PLATFORM, workspace, f"@{user_id}")
        return await self.send(message.to(dm))

    async def has_member(self, workspace: str, user_id: str) -> bool:
        """The console is one workspace that everyone typing in it belongs to."""
        return True

    async def start(self) -> None:
        """Learn the threads of earlier sessions, so that new ones get numbers of their own."""
        self._running = True
        async with self.bot.db.session() as session:
            for address in await stored_threads(session, PLATFORM):
                self._threads.setdefault(str(address.thread), address)

    async def stop(self) -> None:
        self._running = False

    # -- the terminal ----------------------------------------------------------------------
    def _show(self, message: Message, posted: Posted | None) -> None:
        numbers = [next(self._numbers) for _ in message.actions]
        for number, button in zip(numbers, message.actions, strict=True):
            where = posted or Posted(message.address or self.state.address, "0")
            self._buttons[number] = (button.action_id, button.value, where)
        self._write(render(message, posted, numbers))
        for attachment in message.files:
            saved = self.files_dir / attachment.filename
            self.files_dir.mkdir(parents=True, exist_ok=True)
            saved.write_bytes(attachment.content)
            self._write(f"  [file] {attachment.filename} saved to {saved}")

    async def reply(self, message: Message) -> Posted | None:
        """The console's Responder: every reply is printed where the user is."""
        return await self.send(message)

    async def took_effect(self) -> None:
        """Nothing to settle: a console click leaves the numbered buttons as they were."""

    async def form(self, form: Form) -> bool:
        """The console's forms are prompts: one question per line, then submitted."""
        self._filling = Filling(form, self.state.actor)
        how = "Answer each question; an empty line keeps [the default] or skips optional ones; "
        note = how + "`/cancel` drops the form."
        message = Message("", form.address, form.title, notes=(note,), ephemeral=True)
        self._show(message, None)
        self._ask()
        return True

    def _ask(self) -> None:
        assert self._filling is not None
        current = self._filling.current
        if current is not None:
            self._write(prompt(current))

    async def _fill(self, line: str) -> bool:
        """Take `line` as the answer to the open form; False when it is not one (a command
        abandons the form and runs)."""
        filling = self._filling
        assert filling is not None
        text = line.strip()
        if text.lower() == "/cancel":
            self._filling = None
            self._write(f"  (form “{filling.form.title}” cancelled)")
            return True
        if text.startswith("/"):
            self._filling = None
            self._write(f"  (form “{filling.form.title}” left unfinished)")
            return False
        current = filling.current
        assert current is not None
        value = text or current.initial
        if current.required and not value:
            self._write(f"  ({current.label} is required; `/cancel` drops the form)")
            self._ask()
            return True
        filling.values[current.id] = value
        if filling.current is not None:
            self._ask()
            return True
        self._filling = None
        form = filling.form
        where = form.address or self.state.address
        submitted = Action(
            form.action_id, encode(filling.values, form.context_value), filling.actor, where, ""
        )
        await self.bot.dispatch(submitted, self)
        return True

    async def handle_line(self, line: str) -> bool:
        """Process one typed line; False when the user asked to quit."""
        if self._filling is not None and await self._fill(line):
            return True
        parsed = parse_line(line, self.state)
        if parsed is None:
            return True
        if isinstance(parsed, Directive):
            return await self._directive(parsed)
        await self.bot.dispatch(parsed, self)
        return True

    async def _directive(self, directive: Directive) -> bool:
        match directive.name, directive.args:
            case (("quit" | "exit"), _):
                return False
            case "click", (number,):
                await self._click(int(number))
            case "as", (name, *rest):
                await self._become(name, rest[0] if rest else Role.MEMBER.value)
            case "thread", (number,):
                await self._enter(number)
            case "thread", ():
                self.state.address = self.state.address.root
                self._write(f"  (you are in #{self.state.address.channel})")
            case "channel", (name,):
                self.state.address = Address(PLATFORM, WORKSPACE, name.lstrip("#"))
                self._write(f"  (you are in #{self.state.address.channel})")
            case "chat", _:
                self._write("  (plain chat is not for me: type `/caio help`, or `@caio …`)")
            case _:
                self._write(f"  {CONSOLE_HELP}")
        return True

    async def _enter(self, number: str) -> None:
        """`/thread N` goes to thread N in whichever channel it is, as a click on Slack's
        "N replies" would."""
        thread = self._threads.get(number.lstrip("#"))
        if thread is None:
            self._write(f"  (there is no thread {number}: each opens as `↳ thread N`)")
            return
        self.state.address = thread
        self._write(f"  (you are in #{thread.channel} › thread {thread.thread})")

    async def _click(self, number: int) -> None:
        found = self._buttons.get(number)
        if found is None:
            self._write(f"  (there is no button [{number}])")
            return
        action_id, value, posted = found
        action = Action(action_id, value, self.state.actor, posted.address, posted.message_id)
        await self.bot.dispatch(action, self)

    async def _become(self, name: str, role: str) -> None:
        if role not in {r.value for r in Role}:
            self._write("  (roles: member, lead, caio, admin)")
            return
        self.state.actor = Actor(PLATFORM, name.lstrip("@"), name.lstrip("@"))
        async with self.bot.db.session() as session:
            client = await client_for(session, PLATFORM, WORKSPACE)
            if client is not None:
                await set_role(session, client.id, self.state.actor, Role(role))
        self._write(f"  (you are now {self.state.actor.name}, {role})")

    async def run(self, stream: TextIO | None = None) -> None:
        """Read lines until EOF or `/quit`, then let in-flight work finish."""
        stream = stream or sys.stdin
        if stream.isatty():
            self._write(CONSOLE_HELP)
        while True:
            line = await asyncio.to_thread(stream.readline)
            if not line:
                break
            if not await self.handle_line(line):
                break
        await self.bot.drain()
