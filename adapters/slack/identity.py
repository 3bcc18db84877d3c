"""Who the bot is, for Bolt's authorize step, without a Web API call before an ack.

Bolt's built-in authorize calls `auth.test` before the listener runs: on the first request
in token mode, on every request with an installation store. A rate-limited or slow Slack
then holds the ack past Slack's 3 s, and a failing `auth.test` tells users to reinstall.
Here the token is known from the settings (or the stored install, see `oauth.py`), and the
bot's own ids are learnt with `auth.test` in the background after start.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import aiohttp
import structlog
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.logger.messages import (
    info_default_oauth_settings_loaded,
    warning_client_prioritized_and_token_skipped,
    warning_token_skipped,
)
from slack_sdk.errors import SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

log = structlog.get_logger(__name__)

Spawn = Callable[[Coroutine[Any, Any, None]], None]


class TokenIdentity:
    """Token mode: the one bot token, and the bot's ids once `auth.test` has told them."""

    def __init__(self, client: AsyncWebClient, spawn: Spawn) -> None:
        self.client = client
        self.spawn = spawn
        self.known: AuthorizeResult | None = None
        self.name: str | None = None  # the bot user's name, for `/invite @name`
        self._learning = False

    def learn_soon(self) -> None:
        """Ask `auth.test` in the background, unless it already answered or is being asked."""
        if self.known is None and not self._learning:
            self._learning = True
            self.spawn(self._learn())

    async def _learn(self) -> None:
        try:
            found = await self.client.auth_test()
        except (SlackClientError, aiohttp.ClientError, TimeoutError) as exc:
            log.warning("slack auth.test failed; will ask again on the next request", error=exc)
            return
        finally:
            self._learning = False
        self.known = AuthorizeResult.from_auth_test_response(
            auth_test_response=found, bot_token=self.client.token
        )
        self.name = found.get("user")

    def authorizer(self) -> Callable[[str | None, str | None], Awaitable[AuthorizeResult]]:
        """Bolt's authorize (a plain function: Bolt passes arguments by their names): the
        token at once; the bot's ids when already learnt (until then Bolt cannot drop the
        bot's own events itself, which `create_events` does anyway)."""

        async def authorize(enterprise_id: str | None, team_id: str | None) -> AuthorizeResult:
            if self.known is not None:
                return self.known
            self.learn_soon()
            return AuthorizeResult(
                enterprise_id=enterprise_id, team_id=team_id, bot_token=self.client.token
            )

        return authorize


class _TokenNoise(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN, SLACK_CLIENT_ID and SLACK_CLIENT_SECRET from the
    environment itself: it warns that our client or authorize wins over the token, and
    announces file-based installation and state stores that nothing of ours uses (our
    authorize and our OAuth routes use the database's). Both would mislead an operator."""

    NOISE = frozenset(
        {
            warning_client_prioritized_and_token_skipped(),
            warning_token_skipped(),
            info_default_oauth_settings_loaded(),
        }
    )

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() not in self.NOISE


def quiet_token_warnings(bolt_logger: logging.Logger) -> None:
    """Drop Bolt's token warnings that say nothing about our configuration (once)."""
    if not any(isinstance(f, _TokenNoise) for f in bolt_logger.filters):
        bolt_logger.addFilter(_TokenNoise())
