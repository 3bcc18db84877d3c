"""When the CAIO owes an answer: the client's response target from the moment of asking."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.db.models import Client


def due_at(client: Client, asked: datetime) -> datetime:
    return asked + timedelta(hours=client.response_target_hours)
