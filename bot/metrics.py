"""Prometheus metrics, served at `GET /metrics`."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

EVENTS = Counter("caio_events_total", "Inbound events handled", ["platform", "kind"])
FAILURES = Counter("caio_handler_failures_total", "Handlers that raised", ["kind"])
ANSWER_SECONDS = Histogram(
    "caio_answer_seconds", "Time from question stored to answer posted", ["model"]
)
