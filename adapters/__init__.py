"""Chat platforms. Each adapter lives in its own folder, converts its
platform's objects to `bot.events` at its edge, and implements
`bot.ports.ChatPlatform`."""
