"""The HTTP side of a process (aiohttp): health, metrics, and whatever routes adapters add."""

from __future__ import annotations

import sqlalchemy as sa
import structlog
from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot.core import Bot
from bot.health import Health

BOT_KEY = web.AppKey("bot", Bot)
HEALTH_KEY = web.AppKey("health", Health)


async def healthz(request: web.Request) -> web.Response:
    """503 when the database does not answer or a part has failed until the operator acts
    (a refused token, an intent switched off), naming it; 200 otherwise. A part that is down
    and retrying by itself (Discord unreachable for a while) is named under "degraded" but
    keeps 200: a router must not pull a `web` process that still serves Slack out of
    rotation for it."""
    bot = request.app[BOT_KEY]
    try:
        async with bot.db.session() as session:
            await session.exec(sa.select(1))  # type: ignore[call-overload]
    except Exception as exc:
        return web.json_response({"status": "unavailable", "error": type(exc).__name__}, status=503)
    adapters = sorted(bot.adapters)
    health = request.app[HEALTH_KEY]
    down = health.down()
    if down:
        body = {"status": "degraded", "adapters": adapters, "down": down}
        return web.json_response(body, status=503 if health.failed() else 200)
    return web.json_response({"status": "ok", "adapters": adapters})


async def metrics(_: web.Request) -> web.Response:
    body = generate_latest()
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def make_app(bot: Bot, health: Health | None = None) -> web.Application:
    """The process's HTTP app; `health` is where its long-running parts report (none when
    it has no such parts)."""
    app = web.Application()
    app[BOT_KEY] = bot
    app[HEALTH_KEY] = health or Health()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    return app


class AccessLog(AbstractAccessLogger):
    """One structured line a request, like every other log line, and without the query
    string: Slack's OAuth redirect carries the install's authorization code in it."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        structlog.get_logger("bot.http").info(
            "http request",
            method=request.method,
            path=request.path,
            status=response.status,
            ms=round(time * 1000, 1),
        )


class HttpServer:
    """Runs an aiohttp application on a port until stopped."""

    def __init__(self, app: web.Application, port: int, host: str = "0.0.0.0") -> None:
        self.app = app
        self.port = port
        self.host = host
        self._runner = web.AppRunner(app, access_log_class=AccessLog)

    async def start(self) -> None:
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]  # the one picked, when asked for port 0

    async def stop(self) -> None:
        await self._runner.cleanup()
