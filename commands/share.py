"""`/caio share …`: the knowledge-sharing queue and its schedule. Leads and the CAIO queue
posts; the schedule posts the next one, or a digest of the week's advice when the queue
is empty (scheduler/sharing.py)."""

from __future__ import annotations

import re

from sqlmodel import col, select

from bot.calendar import CalendarError, local_date
from bot.context import Context
from bot.db.models_schedule import Schedule, ScheduleKind, ShareItem
from bot.events import Address
from bot.message import Message
from bot.registry import registry
from bot.text import row_id, shorten
from commands import setup_line
from scheduler import sharing
from scheduler.claims import Fire, claim
from scheduler.engine import fire_now
from scheduler.store import cadence_of, for_client, remove, touch

_TAG = re.compile(r"(?<!\S)#([\w-]{1,40})\b")


async def _schedule(ctx: Context) -> Schedule | None:
    async with ctx.bot.db.session() as session:
        found = await for_client(session, ctx.client_id, ScheduleKind.SHARE)
    return found[0] if found else None


@registry.command(
    "share",
    summary="Knowledge-sharing posts: a queue and a weekly schedule",
    usage="share add <text or link> [#tags] | list | remove <id> | now | schedule on tue at 10:00",
    example="share add https://example.com/evals-guide a short guide to LLM evals #evals",
)
async def share(ctx: Context, text: str) -> None:
    await ctx.usage()


@registry.command(
    "share add",
    summary="Queue a post for the next share slot",
    usage="share add <text or link> [#tags]",
    example="share add https://example.com/evals-guide a short guide to LLM evals #evals",
)
async def share_add(ctx: Context, text: str) -> None:
    tags = _TAG.findall(text)
    body = _TAG.sub("", text).strip()
    if len(body) < 3:
        await ctx.usage("What should be shared?")
        return
    async with ctx.bot.db.session() as session:
        item = ShareItem(
            client_id=ctx.client_id,
            text=body,
            tags=",".join(t.lower() for t in tags),
            author=ctx.member.name,
            created_at=ctx.bot.clock.now(),
        )
        session.add(item)
        await session.commit()
        await session.refresh(item)
        waiting = len(
            list(
                await session.exec(
                    select(ShareItem.id).where(
                        ShareItem.client_id == ctx.client_id, col(ShareItem.posted_at).is_(None)
                    )
                )
            )
        )
    schedule = await _schedule(ctx)
    when = (
        f"posts {cadence_of(schedule).describe()}"
        if schedule
        else "no schedule yet: `/caio share schedule on tue at 10:00`"
    )
    await ctx.reply(f"Queued as #{item.id} ({waiting} waiting; {when}).", ephemeral=True)


@registry.command("share list", summary="The queued posts", usage="share list")
async def share_list(ctx: Context, text: str) -> None:
    async with ctx.bot.db.session() as session:
        items = list(
            await session.exec(
                select(ShareItem)
                .where(ShareItem.client_id == ctx.client_id, col(ShareItem.posted_at).is_(None))
                .order_by(col(ShareItem.id))
            )
        )
    schedule = await _schedule(ctx)
    lines = [
        f"#{i.id} {shorten(i.text, 120)}"
        + (" " + " ".join(f"#{t}" for t in i.tags.split(",") if t) if i.tags else "")
        + f" — {i.author}"
        for i in items
    ]
    notes = (
        f"Posts in #{Address.parse(schedule.address).channel} "
        f"{cadence_of(schedule).describe()}; an empty queue posts the week's digest."
        if schedule
        else "No schedule yet: `/caio share schedule on tue at 10:00`.",
    )
    await ctx.reply(
        Message("\n".join(lines) or "The queue is empty.", title="Share queue", notes=notes),
        ephemeral=True,
    )


@registry.command("share remove", summary="Drop a queued post", usage="share remove <id>")
async def share_remove(ctx: Context, text: str) -> None:
    ref = row_id(text)
    if ref is None:
        await ctx.usage()
        return
    async with ctx.bot.db.session() as session:
        item = await session.get(ShareItem, ref)
        if item is None or item.client_id != ctx.client_id or item.posted_at is not None:
            await ctx.reply(f"There is no queued post #{ref}.", ephemeral=True)
            return
        await session.delete(item)
        await session.commit()
    await ctx.reply(f"Removed #{ref} from the queue.", ephemeral=True)


@registry.command("share now", summary="Post the next item (or the digest) now", usage="share now")
async def share_now(ctx: Context, text: str) -> None:
    schedule = await _schedule(ctx)
    if schedule is not None:
        if not await fire_now(ctx.bot, schedule, ctx.client):
            await ctx.reply("That was just posted; nothing sent twice.", ephemeral=True)
        return
    now = ctx.bot.clock.now()
    fire = Fire(ctx.client_id, "share.now", ctx.address.root.key, now)
    if not await claim(ctx.bot.db, [fire], now=now, worker=ctx.bot.liveness.process):
        await ctx.reply("That was just posted; nothing sent twice.", ephemeral=True)
        return
    await sharing.post(ctx.bot, ctx.client, ctx.address.root, now)


@registry.command(
    "share schedule",
    summary="When share posts go out, in this channel",
    usage="share schedule on <days> at <time> [tz <zone>] | share schedule off",
    example="share schedule on tue at 10:00 tz Europe/Berlin",
)
async def share_schedule(ctx: Context, text: str) -> None:
    current = await _schedule(ctx)
    if text.strip().lower() == "off":
        if current is None:
            await ctx.reply("There is no share schedule to turn off.", ephemeral=True)
            return
        async with ctx.bot.db.session() as session:
            row = await session.get(Schedule, current.id)
            if row is not None:
                await remove(session, row)
        await ctx.reply("Share posts turned off; the queue is kept.")
        return
    try:
        form = setup_line.parse(text)
        if form.at is None and form.days is None:
            raise CalendarError("say when, e.g. `on tue at 10:00`")
        if form.participants or form.questions or form.window_minutes or form.report:
            raise CalendarError("share schedules take only days, time and zone")
    except CalendarError as error:
        await ctx.usage(str(error))
        return
    now = ctx.bot.clock.now()
    async with ctx.bot.db.session() as session:
        row = await session.get(Schedule, current.id) if current else None
        if row is None:
            row = Schedule(
                client_id=ctx.client_id,
                kind=ScheduleKind.SHARE,
                address=ctx.address.root.key,
                days="tue",
                local_time="10:00",
                timezone=ctx.client.timezone,
                created_by=ctx.member.name,
                changed_at=now,
            )
        row.address = ctx.address.root.key
        form.apply(row, local_date(now, form.tz or row.timezone))
        session.add(touch(row, now))
        await session.commit()
        await session.refresh(row)
    await ctx.reply(
        f"Share posts go to #{ctx.address.channel} {cadence_of(row).describe()}: the next "
        "queued item, or the week's digest when the queue is empty."
    )
