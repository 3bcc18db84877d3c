"""Slack through Bolt's AsyncApp: acknowledge first, translate, hand the neutral event to
the Bot in the background; and the Adapter side, posting the Bot's Messages as Block Kit.

HTTP mode serves `POST /slack/events` (plus the OAuth paths) on the process's aiohttp
app; Socket Mode is a worker component. Every Web API client here carries slack_sdk's
retry handlers (rate limits after Retry-After, server and connection errors with backoff).
The responder is in `responder`, the Socket Mode runner in `socket_mode`, and the record of
long messages' parts in `message_parts`.
"""

from __future__ import annotations

import logging
import random
import re
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import aiohttp
import structlog
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator
from slack_sdk.http_retry.jitter import Jitter
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.exc import IntegrityError

from adapters.slack import create_events as ce
from adapters.slack import message_parts
from adapters.slack.ack_gate import AckGate
from adapters.slack.forms import CALLBACK_PREFIX, errors_for, submission_from
from adapters.slack.identity import TokenIdentity, quiet_token_warnings
from adapters.slack.oauth import INSTALL_PATH, REDIRECT_PATH, SlackInstaller
from adapters.slack.refusals import refusals
from adapters.slack.render import Rendered, clicked, escape, home_view, is_progress, render
from adapters.slack.responder import SlackResponder
from adapters.slack.socket_mode import SocketModeRunner
from bot.adapter import DeliveryError
from bot.db.models_slack import SlackEvent
from bot.events import Action, Actor, Address
from bot.health import Health
from bot.home import home_for
from bot.message import Attachment, Message, Posted

if TYPE_CHECKING:
    from bot.core import Bot

log = structlog.get_logger(__name__)

SLACK_API = "https://slack.com/api/"
EVENTS_PATH = "/slack/events"
BOT_NAME = "caio-bot"


class _ProportionalJitter(Jitter):
    """Up to +50% of the interval, so tiny test backoffs stay tiny (slack_sdk adds 0-1 s)."""

    def recalculate(self, duration: float) -> float:
        return duration * (1 + random.random() / 2)


def retry_handlers(backoff: float) -> list[AsyncRetryHandler]:
    interval = BackoffRetryIntervalCalculator(backoff_factor=backoff, jitter=_ProportionalJitter())
    return [
        AsyncConnectionErrorRetryHandler(max_retry_count=3, interval_calculator=interval),
        AsyncRateLimitErrorRetryHandler(max_retry_count=5),
        AsyncServerErrorRetryHandler(max_retry_count=4, interval_calculator=interval),
    ]


@dataclass
class _Budget:
    """Slack allows ~50 chat.update a minute per workspace: progress updates beyond that
    are skipped (the next carries newer text); final updates always go out."""

    rate: float = 0.8
    burst: float = 5.0
    tokens: float = 5.0
    at: float = field(default_factory=time.monotonic)

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


class SlackAdapter:
    """Slack as an `Adapter`: Bolt's listeners turn events into neutral ones for the Bot,
    and the Bot's Messages go out as Block Kit through one retrying Web API client."""

    platform = ce.PLATFORM
    live_updates = True

    def __init__(self, bot: Bot, *, backoff: float = 0.5) -> None:
        settings = bot.settings
        self.bot = bot
        self.api_url = settings.slack_api_url or SLACK_API
        if not self.api_url.endswith("/"):
            self.api_url += "/"
        self.backoff = backoff
        self.retries = retry_handlers(backoff)
        token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
        self.installer: SlackInstaller | None = None
        self.identity: TokenIdentity | None = None
        authorize: Callable[..., Awaitable[AuthorizeResult | None]]
        self.client = AsyncWebClient(base_url=self.api_url, retry_handlers=self.retries)
        if settings.slack_client_id and settings.slack_client_secret:
            self.installer = SlackInstaller(
                bot,
                settings.slack_client_id,
                settings.slack_client_secret.get_secret_value(),
                self.client,
            )
            authorize = self.installer.authorizer()
        else:
            self.client.token = token
            self.identity = TokenIdentity(self.client, lambda work: self._spawn(work, "slack-auth"))
            authorize = self.identity.authorizer()
        secret = settings.slack_signing_secret
        quiet_token_warnings(logging.getLogger(f"slack_bolt.{AsyncApp.__name__}"))
        # No `oauth_flow` here: `mount` serves its two paths, and Bolt would refuse a plain
        # authorize function next to it.
        self.app = AsyncApp(
            name=BOT_NAME,
            client=self.client,
            signing_secret=secret.get_secret_value() if secret else "",
            request_verification_enabled=secret is not None,
            process_before_response=True,
            authorize=authorize,  # type: ignore[arg-type]  # Bolt takes None: "not installed"
        )
        self._names: dict[tuple[str, str], str] = {}
        self._budgets: dict[str, _Budget] = {}
        self.gate = AckGate()
        self._listen()

    # -- inbound: ack at once, then work ----------------------------------------------------
    def _listen(self) -> None:
        self.app.command("/caio")(self._on_command)
        self.app.action(re.compile(".+"))(self._on_action)  # every button; the Bot routes it
        self.app.event("app_mention")(self._on_mention)
        self.app.event("message")(self._on_message)
        self.app.event("app_home_opened")(self._on_home_opened)
        self.app.event("app_uninstalled")(self._on_revoked)
        self.app.event("tokens_revoked")(self._on_revoked)
        self.app.view_submission(re.compile(f"^{CALLBACK_PREFIX}"))(self._on_form_submitted)

    def _spawn(self, work: Coroutine[Any, Any, None], name: str) -> None:
        self.bot.spawn(self._after_acks(work), name=name)

    async def _after_acks(self, work: Coroutine[Any, Any, None]) -> None:
        await self.gate.settled()
        await work

    async def _on_command(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        command = ce.command_from(body)
        responder = SlackResponder(
            self, command.actor.id, body.get("response_url"), body.get("trigger_id")
        )
        self._spawn(self.bot.dispatch(command, responder), f"slack-command-{command.actor.id}")

    async def _on_action(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        for element in body.get("actions") or []:
            action = ce.action_from(body, element)
            self._spawn(self._clicked(body, action), f"slack-action-{action.action_id}")

    async def _on_mention(
        self, ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        if await self._first_delivery(body):
            self._spawn(self._mention(body, context.bot_user_id), "slack-mention")
        await ack()

    async def _on_message(
        self, ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        if ce.is_written_reply(body["event"], context.bot_user_id) and await self._first_delivery(
            body
        ):
            self._spawn(self._thread_reply(body), "slack-thread-reply")
        await ack()

    async def _on_form_submitted(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        """Close the modal (or show which inputs are blank), then hand the answers on."""
        errors = errors_for(body["view"])
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        await ack()
        submitted = submission_from(body)
        responder = SlackResponder(self, submitted.actor.id)
        self._spawn(self.bot.dispatch(submitted, responder), f"slack-form-{submitted.action_id}")

    async def _on_home_opened(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        event = body["event"]
        if event.get("tab", "home") == "home":
            self._spawn(self.publish_home(ce.team_of(body), event["user"]), "slack-home")

    async def _on_revoked(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        installer = self.installer
        if installer is not None and await self._first_delivery(body):
            team = ce.team_of(body)
            self._spawn(installer.forget(team, body["event"]), "slack-revoked")
        await ack()

    async def _first_delivery(self, body: Mapping[str, Any]) -> bool:
        """Claim the event in the database, before the ack: False when another delivery
        (a Slack retry, possibly to another web process) already did. A database that cannot
        take the claim raises, so the request is not acknowledged and Slack delivers the
        event again later, instead of an ack for an event nobody will handle."""
        event_id = body.get("event_id")
        if not event_id:
            return True
        row = SlackEvent(
            event_id=event_id, team_id=ce.team_of(body), received_at=self.bot.clock.now()
        )
        try:
            async with self.bot.db.session() as session:
                session.add(row)
                await session.commit()
        except IntegrityError:
            log.info("slack retry ignored: already handled", event_id=event_id)
            return False
        return True

    async def _clicked(self, body: Mapping[str, Any], action: Action) -> None:
        """Run the button's handler; once it took effect, the clicked message shows
        everyone who clicked it in place of the buttons it settled."""
        message = body.get("message")
        container = body.get("container") or {}
        blocks = None
        if message and not container.get("is_ephemeral"):
            blocks = clicked(message.get("blocks") or [], action)

        async def settle() -> None:
            assert message is not None and blocks is not None
            web_client = await self.web_api(action.address.workspace)
            try:
                await web_client.chat_update(
                    channel=action.address.channel,
                    ts=action.message_id,
                    text=message.get("text", ""),
                    blocks=blocks,
                )
            except SlackApiError:
                log.exception("could not update the clicked message")

        try:
            at_root = await self._at_root(action)
        except Exception:  # the database is down: the click still gets its answer below
            log.exception("could not look up the clicked message's first part")
            at_root = action
        responder = SlackResponder(
            self,
            action.actor.id,
            body.get("response_url"),
            body.get("trigger_id"),
            settle if blocks is not None else None,
        )
        await self.bot.dispatch(at_root, responder)
        if (body.get("view") or {}).get("type") == "home":
            await self.publish_home(action.address.workspace, action.actor.id)

    async def _at_root(self, action: Action) -> Action:
        """A click on the last part of a long message is about the whole message: name its
        first part (and that part's thread), as the handlers knew it when it was posted."""
        root = await message_parts.root_of(self.bot.db, action.address, action.message_id)
        if root is None:
            return action
        thread = root if action.address.thread == action.message_id else action.address.thread
        return replace(action, address=action.address.in_thread(thread), message_id=root)

    async def _mention(self, body: Mapping[str, Any], bot_user: str | None) -> None:
        event = body["event"]
        team = ce.team_of(body)
        history: tuple[str, ...] = ()
        if ce.in_thread(event):
            history = await self._thread_history(team, event)
        name = await self.name_of(team, event["user"])
        mention = ce.mention_from(event, team, name, bot_user, history)
        await self.bot.dispatch(mention, SlackResponder(self, event["user"]))

    async def _thread_history(self, team: str, event: Mapping[str, Any]) -> tuple[str, ...]:
        """What was said in the mention's thread; nothing when Slack will not say (rate
        limited past the retries, down): the mention is answered without it, not dropped,
        since its event is already claimed and Slack's resend would be ignored."""
        web_client = await self.web_api(team)
        try:
            replies = await web_client.conversations_replies(
                channel=event["channel"], ts=event["thread_ts"], limit=50
            )
        except SlackClientError:
            log.warning("thread history unavailable, answering without it", exc_info=True)
            return ()
        messages = replies.get("messages") or []
        names = {
            m["user"]: await self.name_of(team, m["user"])
            for m in messages
            if m.get("user") and not m.get("bot_id")
        }
        return ce.history_from(messages, event["ts"], names, BOT_NAME)

    async def _thread_reply(self, body: Mapping[str, Any]) -> None:
        event = body["event"]
        team = ce.team_of(body)
        name = await self.name_of(team, event["user"])
        reply = ce.thread_reply_from(event, team, name)
        await self.bot.dispatch(reply, SlackResponder(self, event["user"]))

    async def publish_home(self, team: str, user_id: str) -> None:
        actor = Actor(ce.PLATFORM, user_id, await self.name_of(team, user_id))
        view = home_view(await home_for(self.bot, team, actor))
        web_client = await self.web_api(team)
        await web_client.views_publish(user_id=user_id, view=view)

    async def name_of(self, team: str, user_id: str) -> str:
        """A person's display name (users.info, cached for the life of the process)."""
        key = (team, user_id)
        if key not in self._names:
            web_client = await self.web_api(team)
            try:
                user = (await web_client.users_info(user=user_id))["user"]
            except SlackApiError:
                log.warning("users.info failed; using the id", user=user_id)
                return user_id
            profile = user.get("profile") or {}
            self._names[key] = (
                profile.get("display_name")
                or profile.get("real_name")
                or user.get("name")
                or user_id
            )
        return self._names[key]

    # -- outbound: the Adapter protocol -----------------------------------------------------
    async def web_api(self, team: str) -> AsyncWebClient:
        """The Web API client for a workspace: the one token, or that workspace's install."""
        if self.installer is None:
            return self.client
        token = await self.installer.bot_token(team)
        if token is None:
            raise DeliveryError(f"caio-bot is not installed in Slack workspace {team}")
        return AsyncWebClient(token=token, base_url=self.api_url, retry_handlers=self.retries)

    async def _post(self, web_client: AsyncWebClient, address: Address, part: Rendered) -> str:
        response = await web_client.chat_postMessage(
            channel=address.channel,
            text=part.text,
            blocks=part.blocks,
            thread_ts=address.thread,
            unfurl_links=False,
            unfurl_media=False,
        )
        return str(response["ts"])

    async def send(self, message: Message) -> Posted:
        assert message.address is not None, "a posted message needs an address"
        address = message.address
        web_client = await self.web_api(address.workspace)
        parts = render(message)
        with refusals(self._bot_name()):
            tss = [await self._post(web_client, address, part) for part in parts]
        posted = Posted(address, tss[0])
        if len(tss) > 1:
            now = self.bot.clock.now()
            await message_parts.remember_parts(self.bot.db, address, tss[0], tss[1:], now)
        if message.files:
            await self._upload(web_client, address, message.files)
        return posted

    async def _upload(
        self, web_client: AsyncWebClient, address: Address, files: tuple[Attachment, ...]
    ) -> None:
        """Share the files where the message went (Slack's external upload flow, retried by
        slack_sdk); when Slack still refuses, say so there instead of leaving them out."""
        try:
            await web_client.files_upload_v2(
                file_uploads=[
                    {
                        "content": f.content,
                        "filename": f.filename,
                        "title": f.title or f.filename,
                    }
                    for f in files
                ],
                channel=address.channel,
                thread_ts=address.thread,
            )
        except (SlackClientError, aiohttp.ClientError, TimeoutError) as exc:
            reason = exc.response.get("error") if isinstance(exc, SlackApiError) else None
            log.exception("file upload failed", files=[f.filename for f in files])
            names = ", ".join(f"`{escape(f.filename)}`" for f in files)
            text = (
                f":warning: Slack did not accept the files {names}"
                f"{f' ({escape(str(reason))})' if reason else ''}. Please try again later."
            )
            await web_client.chat_postMessage(
                channel=address.channel, thread_ts=address.thread, text=text
            )

    async def update(self, posted: Posted, message: Message) -> None:
        address = posted.address
        budget = self._budgets.setdefault(address.workspace, _Budget())
        if is_progress(message) and not budget.take():
            return
        # `posted` names the first part: a click on a later one was mapped by `_at_root`.
        root = posted.message_id
        if address.thread == root:  # a channel message, clicked
            address = address.root
        web_client = await self.web_api(address.workspace)
        with refusals(self._bot_name()):
            await self._update_parts(web_client, address, root, message)

    async def _update_parts(
        self, web_client: AsyncWebClient, address: Address, root: str, message: Message
    ) -> None:
        """Rewrite a (possibly long) message in place: its parts updated, added or deleted."""
        first, *rest = render(message)
        await web_client.chat_update(
            channel=address.channel, ts=root, text=first.text, blocks=first.blocks
        )
        known = await message_parts.parts_of(self.bot.db, address, root)
        parts = known[: len(rest)]
        for n, part in enumerate(rest):
            if n < len(parts):
                await web_client.chat_update(
                    channel=address.channel, ts=parts[n], text=part.text, blocks=part.blocks
                )
            else:
                parts.append(await self._post(web_client, address, part))
        for ts in known[len(rest) :]:
            await web_client.chat_delete(channel=address.channel, ts=ts)
        if parts != known:  # a streamed answer rewrites its text, not its parts, each time
            now = self.bot.clock.now()
            await message_parts.remember_parts(self.bot.db, address, root, parts, now)

    def _bot_name(self) -> str | None:
        """The bot user's name for `/invite @name`, once known (token mode's auth.test)."""
        return self.identity.name if self.identity is not None else None

    async def open_thread(self, root: Posted, title: str) -> Address:
        """Slack threads hang off a message: the thread is the root's ts (no call, so
        nothing Slack could refuse here; the first reply's `send` raises DeliveryError)."""
        return root.address.in_thread(root.address.thread or root.message_id)

    async def permalink(self, address: Address) -> str:
        """Slack's own permalink for a thread; the channel's app link otherwise."""
        if address.thread is None:
            return (
                f"https://slack.com/app_redirect?team={address.workspace}&channel={address.channel}"
            )
        web_client = await self.web_api(address.workspace)
        found = await web_client.chat_getPermalink(
            channel=address.channel, message_ts=address.thread
        )
        return str(found["permalink"])

    async def react(self, posted: Posted, emoji: str) -> None:
        web_client = await self.web_api(posted.address.workspace)
        try:
            await web_client.reactions_add(
                channel=posted.address.channel, timestamp=posted.message_id, name=emoji
            )
        except SlackApiError as exc:
            if exc.response.get("error") != "already_reacted":
                raise

    async def send_direct(self, workspace: str, user_id: str, message: Message) -> Posted:
        web_client = await self.web_api(workspace)
        with refusals(self._bot_name()):
            opened = await web_client.conversations_open(users=user_id)
        channel = opened["channel"]["id"]
        return await self.send(message.to(Address(ce.PLATFORM, workspace, channel)))

    async def has_member(self, workspace: str, user_id: str) -> bool:
        """users.info: the person's own team (or, on Enterprise Grid, one of their teams or
        their org) is this workspace; someone from a Slack Connect partner is not."""
        web_client = await self.web_api(workspace)
        try:
            user = (await web_client.users_info(user=user_id))["user"]
        except SlackApiError as exc:
            if exc.response.get("error") in ("user_not_found", "user_not_visible"):
                return False
            raise
        grid = user.get("enterprise_user") or {}
        teams = {user.get("team_id"), grid.get("enterprise_id"), *(grid.get("teams") or ())}
        return workspace in teams and not user.get("deleted")

    async def start(self) -> None:
        """Learn the bot's own ids in the background (token mode), not before the first ack.
        Old event ids are the scheduler's sweep to prune (`bot.retention`)."""
        if self.identity is not None:
            self.identity.learn_soon()

    async def stop(self) -> None:
        return None

    # -- HTTP and Socket Mode -----------------------------------------------------------------
    def mount(self, http: web.Application) -> None:
        """Slack's routes on the process's aiohttp app (HTTP mode)."""
        http.router.add_post(EVENTS_PATH, self._events)
        if self.installer is not None:
            http.router.add_get(INSTALL_PATH, self._install)
            http.router.add_get(REDIRECT_PATH, self._oauth_redirect)

    async def _events(self, request: web.Request) -> web.Response:
        with self.gate.acking():
            bolt_response = await self.app.async_dispatch(await to_bolt_request(request))
            return await to_aiohttp_response(bolt_response)

    async def _install(self, request: web.Request) -> web.Response:
        assert self.installer is not None
        bolt_request = await to_bolt_request(request)
        return await to_aiohttp_response(
            await self.installer.flow.handle_installation(bolt_request)
        )

    async def _oauth_redirect(self, request: web.Request) -> web.Response:
        assert self.installer is not None
        bolt_request = await to_bolt_request(request)
        return await to_aiohttp_response(await self.installer.flow.handle_callback(bolt_request))

    def socket_mode(self, app_token: str, health: Health) -> SocketModeRunner:
        return SocketModeRunner(self.app, app_token, self.gate, self.backoff, health)


def slack_components(
    bot: Bot,
    *,
    http: web.Application | None,
    gateways: bool,
    backoff: float = 0.5,
    health: Health | None = None,
) -> list[SocketModeRunner]:
    """Add the Slack adapter when the environment enables it: its routes on `http` (HTTP
    mode, with a signing secret) and, in a gateway process, Socket Mode (with an app token).
    Configuration that leaves a way in dead is logged here, at start."""
    settings = bot.settings
    setup = settings.slack_setup(http=http is not None, gateways=gateways)
    for problem in setup.errors:
        log.error("slack misconfigured", problem=problem)
    for problem in setup.warnings:
        log.warning("slack misconfigured", problem=problem)
    if not setup.posts:
        return []
    adapter = SlackAdapter(bot, backoff=backoff)
    bot.add_adapter(adapter)
    if http is not None and setup.events:
        adapter.mount(http)
    if setup.socket and settings.slack_app_token is not None:
        token = settings.slack_app_token.get_secret_value()
        return [adapter.socket_mode(token, health or Health())]
    return []
