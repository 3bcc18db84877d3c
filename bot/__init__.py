"""caio-bot's platform-neutral core: events, messages, the router, the Bot, the advisor and data."""
