"""What a person's id looks like on each platform ("telegram:123456"), so that
an organiser granted with a typo is refused rather than granted to nobody:
by the command line, the chat's /organiser_add and the discussion file alike."""

from __future__ import annotations

import re
from collections.abc import Collection

# platform: (the id's form, an example identity, how to find one)
USER_ID_FORMS = {
    "telegram": (r"[1-9]\d{0,14}", "telegram:123456", "a number (the person's id, e.g. from @userinfobot)"),
    "discord": (r"[1-9]\d{16,19}", "discord:80351110224678912", "a 17- to 20-digit number (Developer Mode, Copy User ID)"),
    "email": (r"[^@\s]+@[^@\s]+\.[^@\s]+", "email:ana@example.org", "an e-mail address"),
    "web": (r"[1-9]\d*", "web:12", "a participant number"),
    "console": (r"local|as-[\w-]+", "console:local", "local"),
}


def identity_parts(identity: str, other_platforms: Collection[str] = ()) -> tuple[str, str] | None:
    """(platform, user id) of a well-formed identity on a known platform, or on one of
    `other_platforms` (running, with ids of no known form), else None."""
    platform, _colon, user_id = identity.strip().partition(":")
    form = USER_ID_FORMS[platform][0] if platform in USER_ID_FORMS else r"\S+" if platform in other_platforms else None
    return (platform, user_id) if form is not None and re.fullmatch(form, user_id) else None


def identity_problem(identity: str) -> str | None:
    """What is wrong with `identity`, in English (the command line's and the file's language), or None."""
    if identity_parts(identity) is not None:
        return None
    platform = identity.strip().partition(":")[0]
    if platform not in USER_ID_FORMS:
        return f"{identity!r} is not PLATFORM:USER_ID with a platform among {', '.join(USER_ID_FORMS)}, such as telegram:123456"
    _form, example, description = USER_ID_FORMS[platform]
    return f"{identity!r}: a {platform} id is {description}, such as {example}"


def example_identity(identity: str) -> str:
    """A well-formed identity on the platform `identity` names (Telegram's when it names none known)."""
    platform = identity.strip().partition(":")[0]
    return USER_ID_FORMS.get(platform, USER_ID_FORMS["telegram"])[1]
