"""`caio-bot index rebuild`: recompute every embedding with the configured model (and turn
pgvector on where PostgreSQL has gained it since the upgrade);
`caio-bot index stale-after CLIENT DAYS`: when that client's advice is cited as possibly stale."""

from __future__ import annotations

import asyncio

import typer
from rich.progress import Progress
from sqlalchemy import Connection, delete, func
from sqlmodel import col, select

from bot.advisor.embeddings import Embedder
from bot.advisor.playbook import read_playbook, sync_playbook
from bot.advisor.vectors import VectorIndex, stored_models
from bot.cli.database import open_database
from bot.clock import SystemClock
from bot.db import pgvector
from bot.db.engine import Database
from bot.db.models import Advice, Client, PlaybookEntry
from bot.db.models_embedding import Embedding, RetrievalPolicy
from config.settings import Settings, get_settings

app = typer.Typer(help="The semantic search index.", no_args_is_help=True)

ADVICE_BATCH = 256


@app.command("rebuild")
def rebuild() -> None:
    """Embed the playbook and every advice entry with CAIO_EMBEDDING_MODEL, dropping vectors
    made by other models."""
    settings = get_settings()
    if not settings.embedding_model:
        typer.echo("CAIO_EMBEDDING_MODEL is not set: full-text search needs no index", err=True)
        raise typer.Exit(1)
    dropped, made, in_sql = asyncio.run(rebuild_index(settings))
    where = "pgvector" if in_sql else "each process's memory"
    typer.echo(
        f"index rebuilt with {settings.embedding_model}: {made} entries embedded, "
        f"{dropped} vectors of other models or lengths dropped; searched in {where}"
    )


async def rebuild_index(settings: Settings, *, show: bool = True) -> tuple[int, int, bool]:
    """Returns (vectors dropped, entries embedded, whether pgvector holds them)."""
    embedder = Embedder(settings)
    index = VectorIndex(embedder, SystemClock())
    try:
        async with open_database(settings.database_url) as db, db.session() as session:
            await sync_playbook(session, read_playbook(settings.playbook_dirs))
            before = await stored_models(session)
            dropped = sum(n for model, n in before.items() if model != embedder.model)
            await session.exec(delete(Embedding).where(col(Embedding.model) != embedder.model))
            # Same name, other length (a server that swapped the weights behind a name):
            # those vectors compare with nothing the endpoint makes now.
            dim = (await embedder.embed(["dimension probe"])).shape[1]
            resized = delete(Embedding).where(
                col(Embedding.model) == embedder.model, col(Embedding.dim) != dim
            )
            dropped += (await session.exec(resized)).rowcount
            await session.commit()
            entries = (await session.exec(select(func.count()).select_from(PlaybookEntry))).one()
            advice = (await session.exec(select(func.count()).select_from(Advice))).one()
            with Progress(disable=not show) as progress:
                task = progress.add_task("embedding", total=entries + advice)

                def step(n: int) -> None:
                    progress.advance(task, n)

                made = await index.index_playbook(session, progress=step)
                progress.update(task, completed=entries)
                last = 0
                while True:
                    rows = list(
                        await session.exec(
                            select(Advice)
                            .where(col(Advice.id) > last)
                            .order_by(col(Advice.id))
                            .limit(ADVICE_BATCH)
                        )
                    )
                    if not rows:
                        break
                    made += await index.index_advice(session, rows, progress=step)
                    last = rows[-1].id or last
                in_sql = await _copy_into_pgvector(db, progress)
        return dropped, made, in_sql
    finally:
        await embedder.close()


async def _copy_into_pgvector(db: Database, progress: Progress) -> bool:
    """Turn pgvector on if it can be, then copy the new vectors into it a batch per
    transaction, so searches in running processes wait for a batch at most."""
    async with db.engine.connect() as conn:
        in_sql = await conn.run_sync(pgvector.enable)
        await conn.commit()
        if in_sql:
            total = await conn.run_sync(pgvector.pending)
            task = progress.add_task("copying into pgvector", total=total)

            def copy(sync_conn: Connection) -> int:
                return pgvector.sync(
                    sync_conn, commit_each=True, progress=lambda n: progress.advance(task, n)
                )

            await conn.run_sync(copy)
    return in_sql


@app.command("stale-after")
def stale_after(
    client: str = typer.Argument(..., help="client id"),
    days: int = typer.Argument(..., min=1, help="advice older than this is cited as stale"),
) -> None:
    """Set the client's staleness horizon (the default is CAIO_STALE_AFTER_DAYS)."""
    if not asyncio.run(_set_horizon(get_settings(), client, days)):
        typer.echo(f"unknown client {client!r}", err=True)
        raise typer.Exit(1)
    typer.echo(f"advice of {client} older than {days} days is now cited as possibly stale")


async def _set_horizon(settings: Settings, client_id: str, days: int) -> bool:
    async with open_database(settings.database_url) as db, db.session() as session:
        if await session.get(Client, client_id) is None:
            return False
        policy = await session.get(RetrievalPolicy, client_id)
        policy = policy or RetrievalPolicy(client_id=client_id, stale_after_days=days)
        policy.stale_after_days = days
        session.add(policy)
        await session.commit()
        return True
