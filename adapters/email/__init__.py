"""E-mail: participants take part from their mailbox (IMAP in, SMTP out)."""

from adapters.email.adapter import EmailChat
from adapters.email.config import EmailConfig

__all__ = ["EmailChat", "EmailConfig"]
