"""Every knob the operator can turn, read from the environment and `.env` (12-factor)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.roles import parse_role_map

PLAYBOOK_DIR = Path(__file__).parent / "playbook"


@dataclass(frozen=True)
class SlackSetup:
    """How one process talks to Slack, decided in one place from the environment, and
    what in it keeps Slack from working (logged at start, as Slack itself says nothing)."""

    posts: bool  # a bot token or OAuth installs: the Web API
    oauth: bool
    events: bool  # POST /slack/events
    socket: bool  # Socket Mode
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def mode(self) -> str:
        """What the start log says, e.g. `socket mode (token)` or `off`."""
        if not self.posts:
            return "off"
        ways = [way for way, on in (("http", self.events), ("socket mode", self.socket)) if on]
        return f"{' + '.join(ways) or 'posting only'} ({'oauth' if self.oauth else 'token'})"


class Settings(BaseSettings):
    """The contract's environment variables, plus the advisor's tuning knobs."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    database_url: str = "sqlite:///caio.db"

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_client_id: str | None = None
    slack_client_secret: SecretStr | None = None
    slack_api_url: str | None = None

    discord_token: SecretStr | None = None
    discord_api_url: str | None = None
    discord_gateway_url: str | None = None
    discord_roles: str = Field("", alias="CAIO_DISCORD_ROLES")
    discord_sync_guilds: bool = Field(True, alias="CAIO_DISCORD_SYNC_GUILDS")

    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    llm_model: str = Field("gpt-5-mini", alias="CAIO_LLM_MODEL")
    llm_temperature: float = Field(0.2, alias="CAIO_LLM_TEMPERATURE")
    llm_max_tokens: int = Field(900, alias="CAIO_LLM_MAX_TOKENS")
    llm_context_chars: int = Field(12_000, alias="CAIO_LLM_CONTEXT_CHARS")
    llm_timeout: float = Field(30.0, alias="CAIO_LLM_TIMEOUT")
    llm_max_retries: int = Field(2, alias="CAIO_LLM_MAX_RETRIES")
    embedding_model: str | None = Field(None, alias="CAIO_EMBEDDING_MODEL")
    # Cosine at or above which a passage counts as relevant / a question as asked before.
    embedding_min_similarity: float = Field(0.2, alias="CAIO_EMBEDDING_MIN_SIMILARITY")
    duplicate_similarity: float = Field(0.83, alias="CAIO_DUPLICATE_SIMILARITY")
    stale_after_days: int = Field(365, alias="CAIO_STALE_AFTER_DAYS")

    playbook_dir: Path | None = Field(None, alias="CAIO_PLAYBOOK_DIR")
    log_level: str = Field("INFO", alias="CAIO_LOG_LEVEL")
    port: int = 3000

    @field_validator("discord_roles")
    @classmethod
    def _roles_readable(cls, spec: str) -> str:
        """A mapping that would grant the CAIO's rights to a role anyone can create stops
        the process at start, rather than being found out by a client."""
        try:
            parse_role_map(spec)
        except ValueError as error:
            raise ValueError(f"CAIO_DISCORD_ROLES: {error}") from None
        return spec

    @property
    def playbook_dirs(self) -> list[Path]:
        """The shipped playbook first, then the operator's own (which may override it)."""
        dirs = [PLAYBOOK_DIR]
        if self.playbook_dir is not None:
            dirs.append(self.playbook_dir)
        return dirs

    def slack_setup(self, *, http: bool, gateways: bool) -> SlackSetup:
        """Slack as a process with (or without) an HTTP server and gateways runs it."""
        posts = self.slack_bot_token is not None or self.slack_client_id is not None
        signed = self.slack_signing_secret is not None
        socket = self.slack_app_token is not None
        errors, warnings = [], []
        if posts and http and not signed and not socket:
            errors.append(
                "SLACK_SIGNING_SECRET is not set: POST /slack/events answers 404, so no "
                "slash command, click or event reaches this process (set it, or "
                "SLACK_APP_TOKEN for Socket Mode)"
            )
        if socket and not posts:
            warnings.append(
                "SLACK_APP_TOKEN is set without SLACK_BOT_TOKEN (or SLACK_CLIENT_ID and "
                "SLACK_CLIENT_SECRET): Slack is off"
            )
        return SlackSetup(
            posts=posts,
            oauth=bool(
                self.slack_client_id and self.slack_client_secret
            ),  # as the adapter reads it
            events=posts and http and signed,
            socket=posts and gateways and socket,
            errors=tuple(errors),
            warnings=tuple(warnings),
        )


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
