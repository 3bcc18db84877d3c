"""Discord objects → neutral events (pure: no I/O, so each rule is testable on its own).

Addresses: a guild is the workspace; a thread is (parent channel, thread id); a DM is its
DM channel in the workspace the person was reached through.
"""

from __future__ import annotations

from typing import Any

import discord

from bot.events import Action, Actor, Address, Command, Mention, ThreadReply
from bot.roles import is_role_id

PLATFORM = "discord"
THREAD_TYPES = (
    discord.ChannelType.public_thread,
    discord.ChannelType.private_thread,
    discord.ChannelType.news_thread,
)


def actor(user: discord.User | discord.Member) -> Actor:
    """The person, with their guild roles as ids and (when the guild is cached) names."""
    roles: list[str] = []
    if isinstance(user, discord.Member):
        # Role ids come with every interaction (@everyone's id is the guild's); names only
        # once the guild is cached. A name that reads as an id is left out: anyone may name
        # a role after the CAIO's role id, and only ids may grant caio or admin.
        roles += [str(user.guild.id), *(str(r) for r in user._roles)]
        roles += [r.name for r in user.roles if not r.is_default() and not is_role_id(r.name)]
    return Actor(PLATFORM, str(user.id), user.display_name, tuple(dict.fromkeys(roles)))


def address(guild_id: int | None, channel: Any, workspace: str | None = None) -> Address:
    """Where a channel, thread or DM lives, as an Address."""
    where = workspace or str(guild_id or "")
    if isinstance(channel, discord.Thread):
        return Address(PLATFORM, where, str(channel.parent_id), str(channel.id))
    return Address(PLATFORM, where, str(channel.id))


def interaction_address(interaction: discord.Interaction[Any]) -> Address:
    channel = interaction.channel
    if channel is None:
        return Address(PLATFORM, str(interaction.guild_id or ""), str(interaction.channel_id))
    return address(interaction.guild_id, channel)


def command(interaction: discord.Interaction[Any], text: str) -> Command:
    """A `/caio <sub>` invocation, its typed options already folded back into one line."""
    return Command(text.strip(), actor(interaction.user), interaction_address(interaction))


def action(
    interaction: discord.Interaction[Any], action_id: str, value: str, where: Address
) -> Action:
    """A click, at `where` (for a DM, the address the adapter placed it in)."""
    message_id = str(interaction.message.id) if interaction.message else ""
    return Action(action_id, value, actor(interaction.user), where, message_id)


def mentions_bot(message: discord.Message, bot_id: int) -> bool:
    return bot_id in message.raw_mentions


def readable(message: discord.Message, bot_id: int) -> str:
    """The text as Discord shows it (discord.py's `clean_content`: `<@80351110224678912>`
    becomes `@dana`, roles and channels their names), less the mention addressing the bot:
    relayed to Slack, logged as advice or quoted to the model, the markup means nothing."""
    text = message.clean_content
    me = discord.utils.get(message.mentions, id=bot_id)
    if me is not None:
        text = text.replace(f"@{me.display_name}", "")
    return text.strip()


def history_line(message: discord.Message, bot_id: int) -> str:
    return f"{message.author.display_name}: {readable(message, bot_id)}"


def mention(
    message: discord.Message, bot_id: int, where: Address, history: tuple[str, ...]
) -> Mention:
    return Mention(readable(message, bot_id), actor(message.author), where, history)


def thread_reply(message: discord.Message, where: Address, bot_id: int) -> ThreadReply:
    direct = message.guild is None
    files = tuple(a.filename for a in message.attachments)
    return ThreadReply(
        readable(message, bot_id), actor(message.author), where, str(message.id), direct, files
    )


def ignored(message: discord.Message, bot_id: int) -> bool:
    """Our own messages, other bots, webhooks and system messages are not for us."""
    return (
        message.author.id == bot_id
        or message.author.bot
        or message.webhook_id is not None
        or message.type not in (discord.MessageType.default, discord.MessageType.reply)
    )
