"""Message → what Discord shows: content or embeds, and buttons that survive a restart.

Buttons carry their whole meaning in the custom id (`caio:<action_id>:<value>`), so a
freshly started client can route a click on a message it never saw being posted. In a DM,
which belongs to no guild, the id also names the guild the message was sent for
(`caio:<action_id>:<value>:<guild id>`). Text longer than Discord allows is split into
several parts, never rejected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import discord

from bot.message import Button, Message
from bot.text import split_text

CONTENT_LIMIT = 2000
DESCRIPTION_LIMIT = 4096
EMBED_TOTAL_LIMIT = 6000
FIELD_LIMIT = 1024
CUSTOM_ID = re.compile(r"caio:(?P<action>[\w.\-]+):(?P<value>[^:]{0,80})(?::(?P<home>\d{1,20}))?")
STYLES = {"primary": discord.ButtonStyle.primary, "danger": discord.ButtonStyle.danger}
_SLACK_BOLD = re.compile(r"(?<![*\w])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![*\w])")


@dataclass
class Part:
    """One Discord message's worth of a Message."""

    content: str = ""
    embeds: list[discord.Embed] = field(default_factory=list)
    view: discord.ui.View | None = None


def markdown(text: str) -> str:
    """The core writes `*bold*` (Slack style); Discord reads that as italics."""
    return _SLACK_BOLD.sub(r"**\1**", text)


def view_for(buttons: tuple[Button, ...], home: str | None = None) -> discord.ui.View | None:
    """Buttons that route by custom id; `home` is the guild a DM's buttons act for."""
    if not buttons:
        return None
    view = discord.ui.View(timeout=None)
    for button in buttons[:25]:
        style = STYLES.get(button.style or "")
        view.add_item(ActionButton(button.action_id, button.value, button.label, style, home))
    return view


def render(message: Message, home: str | None = None) -> list[Part]:
    """Plain content for conversational text; an embed when there is a title or fields.
    `home` is set for a DM: the guild its buttons act for, as a click there names none."""
    parts = _embedded(message) if message.title or message.fields else _plain(message)
    parts[-1].view = view_for(message.actions, home)
    return parts


def _plain(message: Message) -> list[Part]:
    body = markdown(message.text)
    notes = "\n".join(f"-# {markdown(n)}" for n in message.notes)
    whole = f"{body}\n{notes}" if notes else body
    return [Part(content=chunk) for chunk in split_text(whole, CONTENT_LIMIT)]


def _embedded(message: Message) -> list[Part]:
    """Embeds of at most Discord's 6,000 characters each (title, description and fields
    together): fields that would pass it start an embed of their own."""
    chunks = split_text(markdown(message.text), DESCRIPTION_LIMIT)
    embeds = [discord.Embed(description=chunk) for chunk in chunks]
    if message.title:
        embeds[0].title = message.title[:256]
    for name, value in message.fields[:25]:
        name, value = name[:256], split_text(value, FIELD_LIMIT)[0] or "—"
        if len(embeds[-1]) + len(name) + len(value) > EMBED_TOTAL_LIMIT:
            embeds.append(discord.Embed())
        embeds[-1].add_field(name=name, value=value, inline=True)
    parts = [Part(embeds=[embed]) for embed in embeds]
    notes = "\n".join(f"-# {markdown(n)}" for n in message.notes)
    if notes:
        chunks = split_text(notes, CONTENT_LIMIT)
        parts[-1].content = chunks[0]
        parts += [Part(content=chunk) for chunk in chunks[1:]]
    return parts


class ActionButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=CUSTOM_ID):
    """A button of ours; routes clicks by custom id, so no state is kept between restarts."""

    def __init__(
        self,
        action_id: str,
        value: str,
        label: str = "",
        style: discord.ButtonStyle | None = None,
        home: str | None = None,
    ) -> None:
        custom_id = f"caio:{action_id}:{value}" + (f":{home}" if home else "")
        super().__init__(
            discord.ui.Button(
                label=label or action_id,
                style=style or discord.ButtonStyle.secondary,
                custom_id=custom_id,
            )
        )
        self.action_id = action_id
        self.value = value
        self.home = home

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> ActionButton:
        label = getattr(item, "label", "") or ""
        return cls(match["action"], match["value"], label, home=match["home"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.client.on_click(interaction, self.action_id, self.value, self.home)
