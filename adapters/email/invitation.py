"""The invitation `facilitator invite` mails a contact of the organisers'
list: in their language, the profile the list gives, what is stored and
published, and how to consent by replying (its choices numbered, «yes» being
the first); their personal web link too where the web runs."""

from __future__ import annotations

from dataclasses import dataclass

from bot.i18n import _


@dataclass(frozen=True)
class Invited:
    """A contact as the organisers' list gives them."""

    address: str
    name: str
    organisation: str
    country: str


def invitation_text(invited: Invited, title: str, invitation: str, web_link: str | None) -> str:
    """The invitation's text, its first line the mail's subject. Call inside `reading_in` the contact's language."""
    paragraphs = [
        _("You are invited to take part in the e-discussion «{title}».").format(title=title),
        invitation,
        _("The organisers gave your profile as: name: {name}; organisation: {organisation}; country: {country}.").format(
            name=invited.name or "—", organisation=invited.organisation or "—", country=invited.country or "—"
        ),
        _(
            "What is stored: your answers, this profile, your language and your address. When the discussion ends, "
            "the organisers publish a consolidated report of the answers."
        ),
        _(
            "To take part, reply «yes» (or 1): your answers will appear in the report with your name, organisation and "
            "country. Reply 2 to take part anonymously. Reply «profile» to correct your profile, «mydata» to see what is "
            "stored about you, «forget» to erase it."
        ),
    ]
    if web_link:
        paragraphs.append(
            _("You can also take part on the web, with your personal link (keep it to yourself): {link}").format(link=web_link)
        )
    return "\n\n".join(paragraph for paragraph in paragraphs if paragraph.strip())
