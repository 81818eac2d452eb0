from adapters.discord.adapter import DiscordChat

__all__ = ["DiscordChat"]
