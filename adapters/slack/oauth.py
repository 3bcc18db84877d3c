"""Multi-workspace install: Bolt's OAuth flow with slack_sdk's SQLAlchemy stores in our
own database. Installing maps the workspace to a client (created when new); uninstalling
or revoking tokens deletes the stored tokens (the client and its advice log stay).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

import structlog
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.oauth.async_callback_options import (
    AsyncCallbackOptions,
    AsyncFailureArgs,
    AsyncSuccessArgs,
)
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.response import BoltResponse
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.create_events import PLATFORM
from bot.db.models import Client
from bot.db.models_slack import BOTS_TABLE, INSTALLATIONS_TABLE, STATES_TABLE
from bot.directory import client_for_install

if TYPE_CHECKING:
    from bot.core import Bot

log = structlog.get_logger(__name__)

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
STATE_TTL = 600
BOT_SCOPES = [
    "commands",
    "chat:write",
    "chat:write.public",
    "app_mentions:read",
    "channels:history",
    "groups:history",
    "im:history",
    "im:write",
    "reactions:write",
    "users:read",
    "files:write",
]


async def link_installed_workspace(bot: Bot, team_id: str, team_name: str) -> Client:
    """The client this workspace belongs to; a new client named after it on first install."""
    async with bot.db.session() as session:
        client = await client_for_install(
            session, PLATFORM, team_id, team_name, now=bot.clock.now()
        )
    log.info("slack workspace installed", team=team_id, client=client.id)
    return client


class SlackInstaller:
    """The OAuth flow, the installation store it fills, and the clean-up on revocation."""

    def __init__(self, bot: Bot, client_id: str, client_secret: str, web: AsyncWebClient) -> None:
        self.bot = bot
        self.store = AsyncSQLAlchemyInstallationStore(
            client_id=client_id,
            engine=bot.db.engine,
            bots_table_name=BOTS_TABLE,
            installations_table_name=INSTALLATIONS_TABLE,
        )
        states = AsyncSQLAlchemyOAuthStateStore(
            expiration_seconds=STATE_TTL, engine=bot.db.engine, table_name=STATES_TABLE
        )
        settings = AsyncOAuthSettings(
            client_id=client_id,
            client_secret=client_secret,
            scopes=BOT_SCOPES,
            installation_store=self.store,
            state_store=states,
            install_path=INSTALL_PATH,
            redirect_uri_path=REDIRECT_PATH,
            callback_options=AsyncCallbackOptions(success=self._installed, failure=self._failed),
        )
        self.flow = AsyncOAuthFlow(client=web, settings=settings)

    async def _installed(self, args: AsyncSuccessArgs) -> BoltResponse:
        installation = args.installation
        if installation.is_enterprise_install and installation.enterprise_id:
            # Org-wide (Enterprise Grid): every workspace of the org is this one client.
            await link_installed_workspace(
                self.bot, installation.enterprise_id, installation.enterprise_name or ""
            )
        elif installation.team_id:
            await link_installed_workspace(
                self.bot, installation.team_id, installation.team_name or ""
            )
        return await args.default.success(args)

    async def _failed(self, args: AsyncFailureArgs) -> BoltResponse:
        log.warning("slack install failed", reason=args.reason, error=str(args.error or ""))
        return await args.default.failure(args)

    def authorizer(
        self,
    ) -> Callable[[str | None, str | None, AsyncBoltContext], Awaitable[AuthorizeResult | None]]:
        """Bolt's authorize step from the stored install alone: its bot token, bot id and bot
        user id were saved at install, so no `auth.test` runs before the ack (Bolt's own
        installation-store authorize asks Slack on every request)."""

        async def authorize(
            enterprise_id: str | None, team_id: str | None, context: AsyncBoltContext
        ) -> AuthorizeResult | None:
            found = await self.store.async_find_bot(
                enterprise_id=enterprise_id,
                team_id=team_id,
                is_enterprise_install=context.is_enterprise_install,
            )
            if found is None:
                return None
            return AuthorizeResult(
                enterprise_id=enterprise_id,
                team_id=team_id,
                bot_user_id=found.bot_user_id,
                bot_id=found.bot_id,
                bot_token=found.bot_token,
                bot_scopes=found.bot_scopes,
            )

        return authorize

    async def bot_token(self, workspace: str) -> str | None:
        """The bot token of a workspace's install, or of an org-wide install when `workspace`
        is an enterprise id (see `create_events.team_of`)."""
        found = await self.store.async_find_bot(enterprise_id=None, team_id=workspace)
        if found is None:
            found = await self.store.async_find_bot(
                enterprise_id=workspace, team_id=None, is_enterprise_install=True
            )
        return found.bot_token if found is not None else None

    async def forget(self, workspace: str, event: Mapping[str, Any]) -> None:
        """`app_uninstalled` drops all the install's tokens; `tokens_revoked` the listed ones.
        A workspace's rows and an org-wide install's rows are keyed differently: both go."""
        keys = (
            {"enterprise_id": None, "team_id": workspace},
            {"enterprise_id": workspace, "team_id": None},
        )
        for key in keys:
            if event.get("type") == "app_uninstalled":
                await self.store.async_delete_all(**key)
                continue
            tokens = event.get("tokens") or {}
            if tokens.get("bot"):
                await self.store.async_delete_bot(**key)
            for user_id in tokens.get("oauth") or []:
                await self.store.async_delete_installation(**key, user_id=user_id)
        # `event` is structlog's own positional argument: name the kind otherwise.
        log.info("slack tokens removed", workspace=workspace, kind=event.get("type"))
