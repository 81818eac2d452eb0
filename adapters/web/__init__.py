"""The web: a participant's page by a personal link, and the organisers' desk."""

from adapters.web.adapter import WebChat

__all__ = ["WebChat"]
