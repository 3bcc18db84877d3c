"""Advisory handlers, one module per capability; each registers with `bot.registry`."""
