"""Who answers a Slack event: ephemerals through its `response_url` or
chat.postEphemeral, modals through its trigger, anything else where it happened."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import structlog
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook.async_client import AsyncWebhookClient

from adapters.slack.forms import modal_view
from adapters.slack.render import render
from bot.forms import Form
from bot.message import Message, Posted

if TYPE_CHECKING:
    from adapters.slack.connector import SlackAdapter


log = structlog.get_logger(__name__)


class SlackResponder:
    """Answers the event being handled: ephemerals through the `response_url` (slash
    commands, buttons) or chat.postEphemeral; anything else is posted where it happened."""

    def __init__(
        self,
        adapter: SlackAdapter,
        user_id: str,
        response_url: str | None = None,
        trigger_id: str | None = None,
        settle: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.adapter = adapter
        self.user_id = user_id
        self.response_url = response_url
        self.trigger_id = trigger_id
        self.settle = settle
        """Redraws the clicked message with who clicked, once the click took effect."""

    async def took_effect(self) -> None:
        settle, self.settle = self.settle, None
        if settle is not None:
            await settle()

    async def form(self, form: Form) -> bool:
        """A modal, opened with the command's or click's trigger (valid for 3 s, once)."""
        if self.trigger_id is None or form.address is None:
            return False
        web_client = await self.adapter.web_api(form.address.workspace)
        trigger, self.trigger_id = self.trigger_id, None
        try:
            await web_client.views_open(trigger_id=trigger, view=modal_view(form))
        except SlackApiError as exc:
            log.warning("could not open the form", form=form.form_id, error=exc.response["error"])
            return False
        return True

    async def reply(self, message: Message) -> Posted | None:
        if not message.ephemeral:
            return await self.adapter.send(message)
        assert message.address is not None
        parts = render(message)
        if self.response_url:
            hook = AsyncWebhookClient(self.response_url, retry_handlers=self.adapter.retries)
            for part in parts:
                response = await hook.send(
                    text=part.text,
                    blocks=part.blocks,
                    response_type="ephemeral",
                    replace_original=False,
                )
                if response.status_code != 200:
                    raise RuntimeError(f"response_url answered {response.status_code}")
            return None
        web_client = await self.adapter.web_api(message.address.workspace)
        for part in parts:
            await web_client.chat_postEphemeral(
                channel=message.address.channel,
                user=self.user_id,
                text=part.text,
                blocks=part.blocks,
                thread_ts=message.address.thread,
            )
        return None
