"""The data layer: SQLModel tables, the engine, full-text search and queries per concern."""
