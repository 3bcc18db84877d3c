"""Clients, the workspaces mapped to them, and their members with roles."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import func, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from bot.db.models import Client, Member, Role, Workspace
from bot.events import Actor, Address
from bot.roles import mapped_role


async def client_for(session: AsyncSession, platform: str, workspace: str) -> Client | None:
    """The client a workspace (Slack team, Discord guild, console) belongs to."""
    row = await session.exec(
        select(Client)
        .join(Workspace, Workspace.client_id == Client.id)  # type: ignore[arg-type]
        .where(Workspace.platform == platform, Workspace.external_id == workspace)
    )
    return row.first()


def _member_query(client_id: str, actor: Actor) -> SelectOfScalar[Member]:
    return select(Member).where(
        Member.client_id == client_id,
        Member.platform == actor.platform,
        Member.user_id == actor.id,
    )


def _role(actor: Actor, member: Member | None) -> Role:
    """The role the core gives a person: their mapped platform role, else the one kept for
    them, else a plain member's."""
    mapped = mapped_role(actor)
    if mapped is not None:
        return mapped
    return Role(member.role) if member is not None else Role.MEMBER


async def role_of(session: AsyncSession, client_id: str | None, actor: Actor) -> Role:
    """The role `member_for` would give `actor`, read without recording a first contact
    (for autocomplete, say, which must not create members)."""
    if mapped_role(actor) is not None or client_id is None:
        return _role(actor, None)
    return _role(actor, (await session.exec(_member_query(client_id, actor))).first())


async def member_for(session: AsyncSession, client_id: str, actor: Actor) -> Member:
    """The member behind `actor`, created on first contact; their display name kept fresh."""
    query = _member_query(client_id, actor)
    member = (await session.exec(query)).first()
    if member is None:
        member = Member(
            client_id=client_id, platform=actor.platform, user_id=actor.id, name=actor.name
        )
        session.add(member)
        try:
            await session.commit()
        except IntegrityError:
            # A second event from the same new person won the race: use its row.
            await session.rollback()
            member = (await session.exec(query)).one()
        else:
            await session.refresh(member)
    role = _role(actor, member)
    if (actor.name and member.name != actor.name) or member.role != role:
        member.name = actor.name or member.name
        member.role = role
        session.add(member)
        await session.commit()
    return member


async def find_member(session: AsyncSession, client_id: str, name: str) -> Member | None:
    """A member by display name, in any case as people type it (`@Dana`), or platform user
    id (`U0123`), within one client."""
    name = name.lstrip("@").strip()
    rows = await session.exec(
        select(Member).where(
            Member.client_id == client_id,
            (func.lower(Member.name) == name.lower()) | (Member.user_id == name),
        )
    )
    return rows.first()


async def ensure_client(
    session: AsyncSession,
    client_id: str,
    *,
    name: str,
    now: datetime,
    queue: Address | None = None,
) -> Client:
    client = await session.get(Client, client_id)
    if client is None:
        client = Client(
            id=client_id, name=name, created_at=now, queue_address=queue.key if queue else None
        )
        session.add(client)
        await session.commit()
    return client


async def link_workspace(
    session: AsyncSession, client_id: str, platform: str, external_id: str
) -> Workspace:
    """Map an unlinked workspace to a client. One already linked stays with its client:
    the console's start must not undo an operator's `clients add … --console console`, and
    nothing moves a team's history to another client behind the operator's back."""
    row = (
        await session.exec(
            select(Workspace).where(
                Workspace.platform == platform, Workspace.external_id == external_id
            )
        )
    ).first()
    if row is None:
        row = Workspace(client_id=client_id, platform=platform, external_id=external_id)
        session.add(row)
        await session.commit()
    return row


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:48]


async def client_for_install(
    session: AsyncSession, platform: str, workspace: str, name: str, *, now: datetime
) -> Client:
    """The client an installed workspace belongs to; on first install, a new client named
    after the workspace and linked to it (its id the name's slug, made unique with the
    workspace id when taken)."""
    client = await client_for(session, platform, workspace)
    if client is not None:
        return client
    client_id = _slug(name) or workspace.lower()
    if await session.get(Client, client_id) is not None:
        client_id = f"{client_id}-{workspace.lower()}"
    client = await ensure_client(session, client_id, name=name or workspace, now=now)
    await link_workspace(session, client.id, platform, workspace)
    return client


async def set_role(session: AsyncSession, client_id: str, actor: Actor, role: Role) -> Member:
    member = await member_for(session, client_id, actor)
    member.role = role
    session.add(member)
    await session.commit()
    return member
