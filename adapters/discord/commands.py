"""`/caio` as Discord app commands: the typed subcommands, their autocomplete, and the
private apology when a callback fails."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
import structlog
from discord import app_commands

from adapters.discord import create_events
from adapters.discord.create_events import PLATFORM
from bot import escalations
from bot.db import fulltext
from bot.directory import client_for
from bot.registry import Registry
from bot.text import shorten, terms

if TYPE_CHECKING:
    from adapters.discord.connector import DiscordAdapter
    from bot.core import Bot

log = structlog.get_logger(__name__)

APOLOGY = "Sorry, something went wrong on our side. It has been logged."


async def apologise(interaction: discord.Interaction[Any]) -> None:
    """A short private answer when a callback failed, instead of Discord's "The application
    did not respond"; autocomplete has no way to say it."""
    if interaction.type == discord.InteractionType.autocomplete:
        return
    try:
        if interaction.response.is_done():
            await interaction.followup.send(APOLOGY, ephemeral=True)
        else:
            await interaction.response.send_message(APOLOGY, ephemeral=True)
    except discord.HTTPException as e:
        log.warning("could not apologise for a failed interaction", error=str(e))


async def escalation_choices(
    bot: Bot, interaction: discord.Interaction[Any], current: str
) -> list[app_commands.Choice[int]]:
    """The open escalations this person may answer here (none for anyone else, as the
    questions may be confidential)."""
    here = create_events.interaction_address(interaction)
    actor = create_events.actor(interaction.user)
    return [
        app_commands.Choice(name=shorten(f"#{e.id} {e.question}", 100), value=e.id or 0)
        for e in await escalations.answerable(bot, actor, here, current)
    ]


async def advice_choices(
    bot: Bot, interaction: discord.Interaction[Any], current: str
) -> list[app_commands.Choice[str]]:
    """What was asked before that matches what is being typed, so searches hit."""
    if not terms(current):
        return []
    async with bot.db.session() as session:
        client = await client_for(session, PLATFORM, str(interaction.guild_id))
        if client is None:
            return []
        questions = await fulltext.asked_before(session, client.id, current)
    typed = [shorten(current.strip(), 100)]
    return [
        app_commands.Choice(name=q, value=q)
        for q in dict.fromkeys(typed + [shorten(q, 100) for q in questions])
    ][:25]


def usage_choices(registry: Registry, current: str) -> list[app_commands.Choice[str]]:
    specs = registry.commands.values()
    lowered = current.lower().strip()
    return [
        app_commands.Choice(name=shorten(s.usage, 100), value=shorten(s.name + " ", 100))
        for s in specs
        if not s.hidden and (not lowered or s.name.startswith(lowered.split(" ")[0]))
    ][:25]


def caio_group(adapter: DiscordAdapter) -> app_commands.Group:
    """`/caio …`: the chat grammar as typed subcommands; `/caio run` reaches the rest."""
    summaries = {n: s.summary for n, s in adapter.bot.registry.commands.items()}

    def about(name: str, fallback: str) -> str:
        return shorten(summaries.get(name, fallback), 100)

    group = app_commands.Group(
        name="caio",
        description="Advice from your CAIO's playbook",
        guild_only=True,
        allowed_contexts=app_commands.AppCommandContext(guild=True),
    )

    @group.command(name="ask", description=about("ask", "Ask for advice"))
    @app_commands.describe(question="What would you like to know?")
    async def ask(
        interaction: discord.Interaction[Any], question: app_commands.Range[str, 1, 4000]
    ) -> None:
        await adapter.on_command(interaction, f"ask {question}", private=False, prose=True)

    @group.command(name="escalate", description=about("escalate", "Ask the CAIO directly"))
    @app_commands.describe(question="What should the CAIO answer?")
    async def escalate(
        interaction: discord.Interaction[Any], question: app_commands.Range[str, 1, 4000]
    ) -> None:
        await adapter.on_command(interaction, f"escalate {question}", private=False, prose=True)

    @group.command(name="answer", description=about("answer", "Answer an escalation"))
    @app_commands.describe(id="The escalation number", text="Your answer")
    async def answer(
        interaction: discord.Interaction[Any],
        id: app_commands.Range[int, 1],
        text: app_commands.Range[str, 1, 4000],
    ) -> None:
        await adapter.on_command(interaction, f"answer {id} {text}", private=True, prose=True)

    @answer.autocomplete("id")
    async def answer_ids(
        interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[int]]:
        return await escalation_choices(adapter.bot, interaction, current)

    @group.command(name="advice", description=about("advice", "The advice log"))
    @app_commands.describe(
        search="Words to look for", mine="Only advice you received", user="A teammate's advice"
    )
    async def advice(
        interaction: discord.Interaction[Any],
        search: str | None = None,
        mine: bool = False,
        user: discord.User | None = None,
    ) -> None:
        text = "advice"
        if search:
            text += f" search {search}"
        elif mine:
            text += " mine"
        elif user is not None:
            text += f" @{user.id}"
        await adapter.on_command(interaction, text, private=True)

    @advice.autocomplete("search")
    async def advice_terms(
        interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return await advice_choices(adapter.bot, interaction, current)

    @group.command(name="help", description=about("help", "What caio-bot can do"))
    @app_commands.describe(topic="A subcommand, e.g. ask")
    async def show_help(interaction: discord.Interaction[Any], topic: str | None = None) -> None:
        await adapter.on_command(interaction, f"help {topic or ''}", private=True)

    @show_help.autocomplete("topic")
    async def help_topics(
        interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        heads = adapter.bot.registry.heads()
        return [app_commands.Choice(name=h, value=h) for h in heads if h.startswith(current)][:25]

    @group.command(name="run", description="Any other /caio subcommand, typed as in chat")
    @app_commands.describe(text="e.g. standup setup daily 09:30")
    async def run(
        interaction: discord.Interaction[Any], text: app_commands.Range[str, 1, 4000]
    ) -> None:
        private = adapter.bot.registry.private(text)
        await adapter.on_command(interaction, text, private=private)

    @run.autocomplete("text")
    async def run_usages(
        interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return usage_choices(adapter.bot.registry, current)

    return group
