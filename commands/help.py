"""`/caio help`: generated from the registry, showing only what the caller may run."""

from __future__ import annotations

from bot.context import Context
from bot.message import Message
from bot.registry import Spec, registry


@registry.command(
    "help",
    summary="List what caio-bot can do, or how to use one subcommand",
    usage="help [subcommand]",
    example="help ask",
    private=True,
)
async def show_help(ctx: Context, text: str) -> None:
    topic = text.strip().lower().removeprefix("/caio ").strip()
    if topic:
        family = ctx.bot.registry.family(topic.split()[0])
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
    for head in ctx.bot.registry.heads():
        family = ctx.bot.registry.family(head)
        usages = _runnable_usages(ctx, family)
        if usages:
            lines.append(f"`/caio {'` · `/caio '.join(usages)}` — {family[0].summary}")
    await ctx.reply(
        Message(
            "\n".join(lines),
            title="caio-bot: advice from your CAIO's playbook and team history",
            notes=("`/caio help <subcommand>` shows usage and an example.",),
        ),
        ephemeral=True,
    )


def _runnable_usages(ctx: Context, family: list[Spec]) -> list[str]:
    """The usage lines of a subcommand family that the caller may run: the family's own
    line when they may run all of it, else each of theirs, so that a member is not shown
    `standup setup|pause|…` only to be refused."""
    runnable = [s for s in family if ctx.may(s.name)]
    if len(runnable) == len(family) or not runnable:
        return [runnable[0].usage] if runnable else []
    head, *others = family
    refused = {s.words[1] for s in others if s not in runnable}
    words = head.usage.split()
    usages = [s.usage for s in runnable if s is not head]
    if (
        head in runnable
        and len(words) > 1
        and words[1].split("|")[0] not in {s.words[1] for s in others}
    ):  # the head runs on its own (`radar`, `decisions …`), not only lists the others
        mentions_refused = any(word in head.usage for word in refused)
        usages.insert(0, head.name if mentions_refused else head.usage)
    return usages
