"""`/caio help`: generated from the registry, showing only what the caller may run."""

from __future__ import annotations

from bot.context import Context
from bot.message import Message
from bot.registry import registry


@registry.command(
    "help",
    summary="List what caio-bot can do, or how to use one subcommand",
    usage="help [subcommand]",
    example="help ask",
)
async def show_help(ctx: Context, text: str) -> None:
    topic = text.strip().lower().removeprefix("/caio ").strip()
    if topic:
        family = registry.family(topic.split()[0])
        if not family:
            await ctx.reply(f"No subcommand `{topic[:40]}`. Try `/caio help`.", ephemeral=True)
            return
        runnable = [s for s in family if ctx.may(s.name)]
        if not runnable:  # it exists: say who may use it, as running it would
            await ctx.refuse(family[0].name)
            return
        lines = []
        for spec in runnable:
            lines.append(f"`/caio {spec.usage}` — {spec.summary}")
            if spec.example:
                lines.append(f"    e.g. `/caio {spec.example}`")
        await ctx.reply(Message("\n".join(lines), title=f"/caio {topic}"), ephemeral=True)
        return
    lines = []
    for head in registry.heads():
        specs = [s for s in registry.family(head) if ctx.may(s.name)]
        if specs:
            lines.append(f"`/caio {specs[0].usage}` — {specs[0].summary}")
    await ctx.reply(
        Message(
            "\n".join(lines),
            title="caio-bot: advice from your CAIO's playbook and team history",
            notes=("`/caio help <subcommand>` shows usage and an example.",),
        ),
        ephemeral=True,
    )
