from adapters.console.adapter import ConsoleChat

__all__ = ["ConsoleChat"]
