"""The process's own HTTP side as an operator reads it in the logs."""

from __future__ import annotations

import socket

import aiohttp
from structlog.testing import capture_logs

from bot.core import Bot
from bot.http import HttpServer, make_app


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_requests_are_logged_structured_and_without_their_query(bot: Bot) -> None:
    """Slack's OAuth redirect carries the install's authorization code in its query."""
    port = _free_port()
    server = HttpServer(make_app(bot), port, host="127.0.0.1")
    await server.start()
    try:
        with capture_logs() as logs:
            async with aiohttp.ClientSession() as http:
                url = f"http://127.0.0.1:{port}/healthz?code=1234.5678.SECRETOAUTHCODE"
                async with http.get(url) as response:
                    assert response.status == 200
    finally:
        await server.stop()
    (line,) = [e for e in logs if e["event"] == "http request"]
    assert (line["method"], line["path"], line["status"]) == ("GET", "/healthz", 200)
    assert "SECRETOAUTHCODE" not in repr(logs)
