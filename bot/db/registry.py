"""Imports every table module so that SQLModel's metadata knows the whole schema.

Alembic and the tests read `metadata` from here. Table modules are named `models*.py`
(`models.py` for the core, `models_<feature>.py` for each feature) and found automatically.
"""

from __future__ import annotations

import importlib
import pkgutil

from sqlmodel import SQLModel

import bot.db

for _module in pkgutil.iter_modules(bot.db.__path__):
    if _module.name.startswith("models"):
        importlib.import_module(f"bot.db.{_module.name}")

metadata = SQLModel.metadata
