"""Knowledge-sharing posts: the next queued item, or, when the queue is empty, a digest of
what the team learned this week (the CAIO's answers first) plus a matching playbook tip.

The digest is summarised by the model when one is configured and composed from the
entries themselves when not (or when the model fails: the post still goes out, and the
failure is logged)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import col, select

from bot.core import Bot
from bot.db import fulltext
from bot.db.models import Advice, AdviceSource, Client, PlaybookEntry
from bot.db.models_schedule import ShareItem
from bot.events import Address
from bot.message import Message
from bot.text import shorten, terms

_DIGEST_SYSTEM = (
    "You write a short weekly knowledge-sharing post for a development team on behalf of "
    "their fractional Chief AI Officer. Summarise what the team learned this week from the "
    "advice entries given, the CAIO's own answers first, in at most 6 bullet points, then "
    "end with the playbook tip in one sentence. Use only the entries; invent nothing."
)


async def next_item(bot: Bot, client_id: str) -> ShareItem | None:
    async with bot.db.session() as session:
        rows = await session.exec(
            select(ShareItem)
            .where(ShareItem.client_id == client_id, col(ShareItem.posted_at).is_(None))
            .order_by(col(ShareItem.id))
            .limit(1)
        )
        return rows.first()


async def post(bot: Bot, client: Client, channel: Address, now: datetime) -> str:
    """Post the next queued item, or the week's digest; returns what was posted."""
    item = await next_item(bot, client.id)
    if item is not None:
        tags = " ".join(f"#{t}" for t in item.tags.split(",") if t)
        await bot.send(
            Message(
                item.text + (f"\n{tags}" if tags else ""),
                title="Knowledge share",
                notes=(f"Shared by {item.author}",),
                address=channel,
            )
        )
        async with bot.db.session() as session:
            row = await session.get(ShareItem, item.id)
            if row is not None:
                row.posted_at = now
                session.add(row)
                await session.commit()
        return f"posted queued item {item.id}"
    await bot.send(await _digest(bot, client, now, channel))
    return "posted the weekly digest (queue empty)"


async def _digest(bot: Bot, client: Client, now: datetime, channel: Address) -> Message:
    async with bot.db.session() as session:
        week = list(
            await session.exec(
                select(Advice)
                .where(Advice.client_id == client.id, col(Advice.created_at) >= now - timedelta(7))
                .order_by(col(Advice.created_at))
            )
        )
        week.sort(key=lambda a: a.source != AdviceSource.CAIO)
        words = terms(" ".join(a.question for a in week), limit=24)
        hits = await fulltext.search_playbook(session, client.id, words, limit=1) if words else []
        tip = await session.get(PlaybookEntry, hits[0][0]) if hits else None
    tip_line = f"*Playbook tip: {tip.title}*: {_first_point(tip.body)}" if tip else ""
    if not week:
        text = "Nothing new in the advice log this week. Ask with `/caio ask …`."
        return Message(
            "\n\n".join(p for p in (text, tip_line) if p),
            title="This week in AI",
            address=channel,
        )
    entries = [
        f"• {shorten(a.question, 140)} — {shorten(a.answer, 260)} "
        f"({'CAIO' if a.source == AdviceSource.CAIO else a.author})"
        for a in week[:8]
    ]
    body = "What the team learned this week:\n" + "\n".join(entries)
    summary = await bot.advisor.write(
        [
            {"role": "system", "content": _DIGEST_SYSTEM},
            {"role": "user", "content": "\n".join(entries) + f"\n\nTip: {tip_line}"},
        ],
        "weekly digest",
    )
    if summary is not None:
        body, tip_line = summary, ""
    return Message(
        "\n\n".join(p for p in (body, tip_line) if p),
        title="This week in AI",
        notes=(f"{len(week)} entries from the advice log, the CAIO's first.",),
        address=channel,
    )


def _first_point(body: str) -> str:
    for line in body.splitlines():
        line = line.strip().lstrip("-*+ ").strip()
        if line and not line.startswith("#"):
            return shorten(line, 300)
    return ""
