"""The Bot: holds every adapter and service, and routes each inbound event to its handler."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Coroutine
from dataclasses import replace
from typing import Any

import structlog
from sqlalchemy.exc import InterfaceError, OperationalError

from bot.adapter import Adapter, DeliveryError, Responder
from bot.advisor.service import Advisor
from bot.clock import Clock
from bot.context import Context
from bot.db.engine import Database
from bot.directory import client_for, member_for
from bot.events import Action, Address, Command, Inbound, Mention, ThreadReply
from bot.forms import Form
from bot.liveness import Liveness
from bot.message import Message, Posted
from bot.metrics import EVENTS, FAILURES
from bot.registry import Registry
from config.settings import Settings

log = structlog.get_logger(__name__)

UNLINKED = (
    "This workspace is not linked to a client yet. "
    "Your CAIO can link it with `caio-bot clients add`."
)
DATABASE_DOWN = (
    "I can't reach my database right now, so I couldn't do that (ref `{ref}`). "
    "Please try again in a minute."
)
DIRECT_HINT = (
    "I only take commands here: ask with `/caio ask <question>`, answer a stand-up or "
    "check-in with `/caio standup answer …` / `/caio checkin answer …`, or see `/caio help`."
)


class Bot:
    """The one object every handler, job and adapter shares: settings, database, advisor,
    clock and the running adapters, so none of them wires the others itself."""

    def __init__(
        self,
        *,
        settings: Settings,
        db: Database,
        advisor: Advisor,
        clock: Clock,
        registry: Registry,
    ) -> None:
        self.settings = settings
        self.db = db
        self.advisor = advisor
        self.clock = clock
        self.registry = registry
        self.adapters: dict[str, Adapter] = {}
        self.liveness = Liveness(db, clock)
        self._tasks: set[asyncio.Task[Any]] = set()

    def add_adapter(self, adapter: Adapter) -> None:
        self.adapters[adapter.platform] = adapter

    # -- outbound -------------------------------------------------------------------------
    def adapter_for(self, address: Address) -> Adapter:
        try:
            return self.adapters[address.platform]
        except KeyError:
            raise RuntimeError(f"no {address.platform} adapter is running") from None

    async def send(self, message: Message) -> Posted:
        assert message.address is not None, "a posted message needs an address"
        return await self.adapter_for(message.address).send(message)

    async def update(self, posted: Posted, message: Message) -> None:
        await self.adapter_for(posted.address).update(posted, message.to(posted.address))

    async def open_thread(self, root: Posted, title: str) -> Address:
        return await self.adapter_for(root.address).open_thread(root, title)

    async def react(self, posted: Posted, emoji: str) -> None:
        await self.adapter_for(posted.address).react(posted, emoji)

    async def permalink(self, address: Address) -> str:
        """A link to `address` for a message on any platform; its channel's name if the
        platform cannot say (a queue message must go out even when the link does not)."""
        try:
            return await self.adapter_for(address).permalink(address)
        except Exception:
            log.warning("no permalink", address=address.key, exc_info=True)
            return f"#{address.channel}" + (f" (thread {address.thread})" if address.thread else "")

    # -- background work ------------------------------------------------------------------
    def spawn(self, coro: Coroutine[Any, Any, Any], *, name: str) -> asyncio.Task[Any]:
        """Run slow work after the platform's acknowledgement, keeping the task referenced
        so it is neither garbage-collected nor lost at shutdown."""
        task = asyncio.create_task(self._logged(coro, name), name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _logged(self, coro: Coroutine[Any, Any, Any], name: str) -> None:
        try:
            await coro
        except Exception:
            log.exception("background task failed", task=name)

    async def drain(self, grace: float = 30.0) -> None:
        """Wait for in-flight work (answers being drafted) before the process exits; what
        is still running after `grace` is named in the log, as the operator's only trace
        of it, and cancelled, so that it cannot post once its claims are given back (a
        stored question is answered by the next process)."""
        if not self._tasks:
            return
        _, pending = await asyncio.wait(set(self._tasks), timeout=grace)
        if pending:
            log.warning(
                "stopping with work in flight",
                tasks=sorted(task.get_name() for task in pending),
                grace_seconds=grace,
            )
            for task in pending:
                task.cancel()
            await asyncio.wait(pending)

    # -- inbound --------------------------------------------------------------------------
    async def dispatch(self, inbound: Inbound, responder: Responder) -> None:
        """Handle one event; never raises, never shows a traceback to a user."""
        structlog.contextvars.bind_contextvars(
            platform=inbound.address.platform, user=inbound.actor.id
        )
        EVENTS.labels(inbound.address.platform, type(inbound).__name__).inc()
        if not isinstance(inbound, Action) and "\x00" in inbound.text:
            # PostgreSQL text cannot hold NUL; it carries no meaning in chat anyway.
            inbound = replace(inbound, text=inbound.text.replace("\x00", ""))
        try:
            await self._dispatch(inbound, responder)
        except DeliveryError as exc:  # the platform's refusal, which the user can act on
            log.warning("post refused", reason=str(exc), inbound=type(inbound).__name__)
            await self._tell(responder, inbound, f"I couldn't post that: {exc}.")
        except (OperationalError, InterfaceError):  # the database is down or restarting
            ref = uuid.uuid4().hex[:8]
            log.exception("database unavailable", ref=ref, inbound=type(inbound).__name__)
            FAILURES.labels(type(inbound).__name__).inc()
            await self._tell(responder, inbound, DATABASE_DOWN.format(ref=ref))
        except Exception:
            ref = uuid.uuid4().hex[:8]
            # `event` is structlog's own positional argument: name the kind otherwise.
            log.exception("handler failed", ref=ref, inbound=type(inbound).__name__)
            FAILURES.labels(type(inbound).__name__).inc()
            await self._apologise(responder, inbound, ref)
        finally:
            structlog.contextvars.clear_contextvars()

    async def _apologise(self, responder: Responder, inbound: Inbound, ref: str) -> None:
        text = f"Sorry, something went wrong on our side (ref `{ref}`). It has been logged."
        await self._tell(responder, inbound, text)

    async def _tell(self, responder: Responder, inbound: Inbound, text: str) -> None:
        """A private word to the actor about a failure, if the platform still lets us."""
        try:
            await responder.reply(Message(text, address=inbound.address, ephemeral=True))
        except Exception:
            log.exception("could not report the failure either", said=text)

    async def _context(self, inbound: Inbound, responder: Responder) -> Context | None:
        """Who is asking for which client; None when the workspace is not linked."""
        async with self.db.session() as session:
            client = await client_for(session, inbound.address.platform, inbound.address.workspace)
            if client is None:
                return None
        # A session of its own: a lost first-contact race rolls it back, which must not
        # expire the client loaded above.
        async with self.db.session() as session:
            member = await member_for(session, client.id, inbound.actor)
        return Context(self, inbound, client, member, responder)

    async def form_for(self, command: Command, responder: Responder) -> Form | None:
        """The form `command` would open, for platforms that must show it as their first
        answer (Discord's modal); None when it opens none or the actor may not run it."""
        found = self.registry.match(command.text or "help")
        if found is None:
            return None
        spec, rest = found
        opener = self.registry.opener(spec.name)
        if opener is None:
            return None
        ctx = await self._context(command, responder)
        if ctx is None or not ctx.may(spec.name):
            return None
        ctx.spec = spec
        form = await opener(ctx, rest)
        return form.to(command.address) if form is not None else None

    async def _dispatch(self, inbound: Inbound, responder: Responder) -> None:
        ctx = await self._context(inbound, responder)
        if ctx is None:
            if isinstance(inbound, Command | Mention | Action):  # chat in threads: not to us
                await responder.reply(Message(UNLINKED, address=inbound.address, ephemeral=True))
            return
        match inbound:
            case Command():
                await self._command(ctx, inbound.text)
            case Action():
                handler = self.registry.actions.get(inbound.action_id)
                if handler is None:
                    await ctx.reply("That button is no longer active.", ephemeral=True)
                    return
                await handler(ctx, inbound.value)
            case ThreadReply():
                for reply_handler in self.registry.thread_reply_handlers:
                    if await reply_handler(ctx, inbound):
                        return
                if inbound.direct:  # in a thread people talk to each other; a DM is to us
                    await ctx.reply(DIRECT_HINT)
            case Mention():
                if self.registry.mention_handler is not None:
                    await self.registry.mention_handler(ctx, inbound)

    async def _command(self, ctx: Context, text: str) -> None:
        found = self.registry.match(text or "help")
        if found is None:
            word = text.split()[0]
            await ctx.reply(f"I don't know `/caio {word[:40]}`. Try `/caio help`.", ephemeral=True)
            return
        spec, rest = found
        if not ctx.may(spec.name):
            await ctx.refuse(spec.name)
            return
        ctx.spec = spec
        log.info("command", command=spec.name, client=ctx.client_id)
        opener = self.registry.opener(spec.name)
        form = await opener(ctx, rest) if opener is not None else None
        if form is not None:
            await ctx.form(form)
            return
        await spec.handler(ctx, rest)
