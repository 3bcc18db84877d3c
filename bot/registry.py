"""The command registry: one place that knows every subcommand, its usage, its handler
and the form it may open.

`/caio help` is generated from here, the router dispatches from here, and each module in
`commands/` adds to it with the decorators below. Multi-word names (`advice search`)
are matched longest first.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.context import Context
    from bot.events import Mention, ThreadReply
    from bot.forms import Form

CommandHandler = Callable[["Context", str], Awaitable[None]]
ActionHandler = Callable[["Context", str], Awaitable[None]]
ThreadReplyHandler = Callable[["Context", "ThreadReply"], Awaitable[bool]]
MentionHandler = Callable[["Context", "Mention"], Awaitable[None]]
FormOpener = Callable[["Context", str], Awaitable["Form | None"]]


@dataclass(frozen=True)
class Spec:
    """A subcommand as users see it in help, and the handler that serves it."""

    name: str
    summary: str
    usage: str
    example: str
    handler: CommandHandler
    hidden: bool = False
    private: bool = False
    """Its replies are for the caller only, so a platform that shows "thinking…" first
    (Discord) shows it to the caller alone."""

    @property
    def words(self) -> tuple[str, ...]:
        return tuple(self.name.split())


class Registry:
    def __init__(self) -> None:
        self.commands: dict[str, Spec] = {}
        self.actions: dict[str, ActionHandler] = {}
        self.thread_reply_handlers: list[ThreadReplyHandler] = []
        self.mention_handler: MentionHandler | None = None
        self.openers: dict[str, FormOpener] = {}
        """Subcommand name → the form it opens for this text (None: run the handler as typed)."""

    def command(
        self,
        name: str,
        *,
        summary: str,
        usage: str,
        example: str = "",
        hidden: bool = False,
        private: bool = False,
    ) -> Callable[[CommandHandler], CommandHandler]:
        """Register `/caio <name> …`; `usage` is shown without the `/caio ` prefix."""

        def register(handler: CommandHandler) -> CommandHandler:
            if name in self.commands:
                raise ValueError(f"command {name!r} registered twice")
            self.commands[name] = Spec(name, summary, usage, example, handler, hidden, private)
            return handler

        return register

    def action(self, action_id: str) -> Callable[[ActionHandler], ActionHandler]:
        def register(handler: ActionHandler) -> ActionHandler:
            if action_id in self.actions:
                raise ValueError(f"action {action_id!r} registered twice")
            self.actions[action_id] = handler
            return handler

        return register

    def thread_reply(self, handler: ThreadReplyHandler) -> ThreadReplyHandler:
        """A handler that may claim a plain thread message; it returns True when it did."""
        self.thread_reply_handlers.append(handler)
        return handler

    def mention(self, handler: MentionHandler) -> MentionHandler:
        self.mention_handler = handler
        return handler

    def form_opener(self, command: str) -> Callable[[FormOpener], FormOpener]:
        """Declare that `/caio <command> <text>` may open a form instead of running its
        handler; the core asks before dispatch, so Discord can answer the interaction with
        the modal."""

        def register(opener: FormOpener) -> FormOpener:
            if command in self.openers:
                raise ValueError(f"a form for {command!r} registered twice")
            self.openers[command] = opener
            return opener

        return register

    def opener(self, command: str) -> FormOpener | None:
        """The form opener of subcommand `command`, if it has one."""
        return self.openers.get(command)

    def match(self, text: str) -> tuple[Spec, str] | None:
        """The longest registered name that starts `text`, and the rest of the text."""
        words = text.split()
        for size in range(min(len(words), 3), 0, -1):
            spec = self.commands.get(" ".join(words[:size]).lower())
            if spec is not None:
                rest = text.strip()
                for word in words[:size]:
                    rest = rest[len(word) :].lstrip()
                return spec, rest
        return None

    def private(self, text: str) -> bool:
        """Whether `text` is answered only to its caller: a private subcommand, or one no
        command matches, which the core answers with a private hint."""
        found = self.match(text or "help")
        return found is None or found[0].private

    def family(self, head: str) -> list[Spec]:
        """`advice` → the specs named `advice` or `advice …`, in registration order."""
        return [s for s in self.commands.values() if s.words[0] == head and not s.hidden]

    def heads(self) -> list[str]:
        """The subcommands' first words, in the order of the chat grammar (what a developer
        uses most first), then any others by name."""
        seen = {spec.words[0] for spec in self.commands.values() if not spec.hidden}
        return sorted(seen, key=lambda h: (HELP_ORDER.index(h) if h in HELP_ORDER else 99, h))


HELP_ORDER = (
    "ask",
    "escalate",
    "answer",
    "advice",
    "standup",
    "checkin",
    "share",
    "decide",
    "decisions",
    "radar",
    "hours",
    "report",
    "config",
    "help",
)

registry = Registry()


def load_commands() -> Registry:
    """Import every module of `commands/` once, so each registers its subcommands."""
    import commands

    for module in pkgutil.iter_modules(commands.__path__):
        importlib.import_module(f"commands.{module.name}")
    return registry
