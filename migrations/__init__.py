"""Alembic migrations; `caio-bot db upgrade` runs them to head."""
