"""Which Slack messages continue a long one (`SlackMessagePart`), kept in the database so
a click on any part, and every later edit, finds the first. A Slack message is its channel
and ts, whichever thread a click reports."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from bot.db.engine import Database
from bot.db.models_slack import SlackMessagePart
from bot.events import Address


async def root_of(db: Database, address: Address, ts: str) -> str | None:
    """The first message of the long one `ts` continues, if it continues one."""
    async with db.session() as session:
        part = await session.get(SlackMessagePart, (address.workspace, address.channel, ts))
    return part.root_ts if part is not None else None


async def parts_of(db: Database, address: Address, root_ts: str) -> list[str]:
    """The messages a long one continues in, in order."""
    async with db.session() as session:
        rows = await session.exec(
            select(SlackMessagePart.ts)
            .where(
                SlackMessagePart.workspace == address.workspace,
                SlackMessagePart.channel == address.channel,
                SlackMessagePart.root_ts == root_ts,
            )
            .order_by(col(SlackMessagePart.position))
        )
        return list(rows)


async def remember_parts(
    db: Database, address: Address, root_ts: str, tss: list[str], now: datetime
) -> None:
    """Record which messages continue `root_ts` (its buttons sit on the last, so a click
    may name any of them); another process recording the same first wins. Kept for
    `bot.retention.SLACK_MESSAGE_PARTS` after this, the last time they changed."""
    async with db.session() as session:
        await session.exec(
            delete(SlackMessagePart).where(
                col(SlackMessagePart.workspace) == address.workspace,
                col(SlackMessagePart.channel) == address.channel,
                col(SlackMessagePart.root_ts) == root_ts,
            )
        )
        for position, ts in enumerate(tss, start=1):
            session.add(
                SlackMessagePart(
                    workspace=address.workspace,
                    channel=address.channel,
                    ts=ts,
                    root_ts=root_ts,
                    position=position,
                    written_at=now,
                )
            )
        try:
            await session.commit()
        except IntegrityError:
            await session.rollback()
