"""Telegram: participants and organisers take part from Telegram (python-telegram-bot 22)."""

from adapters.telegram.adapter import TelegramChat, Webhook
from adapters.telegram.pacing import Limits

__all__ = ["Limits", "TelegramChat", "Webhook"]
