"""One adapter per chat platform. Each converts its platform's objects to the
engine's events (`bot.ports`) at its edge, in `inbound.py`, implements
`bot.ports.RunnablePlatform` in `adapter.py`, and talks to the engine only
through `bot.ports.Inbox`."""
