"""Platform adapters: each translates its platform's events to `bot.events` and renders
`bot.message.Message` back. No advisory logic lives here."""
