"""`facilitator web links`, `web revoke` and `desk link`: links printed for a
contact list and an organiser, that open the web pages, and revoked."""

from __future__ import annotations

import asyncio
import csv
import io

import pytest
from sqlalchemy import func, select

from bot.storage.models import Participant
from facilitator.cli import main
from tests.adapters.web.conftest import csrf_of
from tests.helpers import organiser


async def test_printed_links_open_each_contacts_page_and_revoking_one_ends_it(web, engine, user, database, monkeypatch, tmp_path, capsys):
    if database.dialect.name != "sqlite":
        pytest.skip("the CLI's own database URL is exercised on the SQLite file")
    monkeypatch.setenv("FACILITATOR_DATABASE_URL", str(database.url))
    monkeypatch.setenv("FACILITATOR_WEB_URL", "http://127.0.0.1:8080/")
    contacts = tmp_path / "contacts.csv"
    contacts.write_text(
        "name,language,organisation,country\nAna Pérez,es,Ayuntamiento de Sevilla,España\n<b>Bob</b>,en,,\n", encoding="utf-8"
    )
    assert await asyncio.to_thread(main, ["web", "links", str(contacts)]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [row["name"] for row in rows] == ["Ana Pérez", "<b>Bob</b>"]
    assert all(row["link"].startswith("http://127.0.0.1:8080/p/") for row in rows)

    ana = rows[0]["link"].removeprefix("http://127.0.0.1:8080")
    assert (await web.get(ana)).status_code == 303
    page = (await web.get("/me")).text
    assert '<html lang="es">' in page and 'value="Ayuntamiento de Sevilla"' in page
    assert csrf_of(page)

    assert await asyncio.to_thread(main, ["web", "revoke", rows[0]["link"]]) == 0
    assert "1 personal link revoked" in capsys.readouterr().out
    assert (await web.get("/me")).status_code == 401
    assert (await web.get(ana)).status_code == 403
    assert await asyncio.to_thread(main, ["web", "revoke", rows[0]["link"]]) == 2

    # Listed again (a new link after the revoked one): the same two people, each with a new link to their own page.
    assert await asyncio.to_thread(main, ["web", "links", str(contacts)]) == 0
    again = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [row["name"] for row in again] == ["Ana Pérez", "<b>Bob</b>"] and again[0]["link"] != rows[0]["link"]
    async with engine.sessions() as session:
        assert await session.scalar(select(func.count(Participant.id))) == 2
    assert (await web.get(again[0]["link"].removeprefix("http://127.0.0.1:8080"))).status_code == 303
    assert 'value="Ayuntamiento de Sevilla"' in (await web.get("/me")).text


async def test_a_contact_without_a_name_or_in_another_language_gets_no_link_and_is_named_by_its_line(
    engine, database, monkeypatch, tmp_path, capsys
):
    if database.dialect.name != "sqlite":
        pytest.skip("the CLI's own database URL is exercised on the SQLite file")
    monkeypatch.setenv("FACILITATOR_DATABASE_URL", str(database.url))
    monkeypatch.setenv("FACILITATOR_WEB_URL", "http://127.0.0.1:8080/")
    contacts = tmp_path / "contacts.csv"
    contacts.write_text("Name,Language\nAna Pérez,ES\n,fr\nJoão Silva,pt\n", encoding="utf-8")
    assert await asyncio.to_thread(main, ["web", "links", str(contacts)]) == 1
    printed = capsys.readouterr()
    assert [row["name"] for row in csv.DictReader(io.StringIO(printed.out))] == ["Ana Pérez"]
    assert printed.err.splitlines() == [
        "line 3: no name: whose link would it be?; no link made",
        "line 4: language 'pt' is not one of the discussion's (fr, en, es); no link made",
    ]
    (tmp_path / "no_names.csv").write_text("e-mail,language\nana@example.org,es\n", encoding="utf-8")
    assert await asyncio.to_thread(main, ["web", "links", str(tmp_path / "no_names.csv")]) == 2
    assert "has no «name» column" in capsys.readouterr().err


async def test_a_desk_link_is_printed_only_for_an_organiser(web, engine, user, database, monkeypatch, capsys):
    if database.dialect.name != "sqlite":
        pytest.skip("the CLI's own database URL is exercised on the SQLite file")
    monkeypatch.setenv("FACILITATOR_DATABASE_URL", str(database.url))
    monkeypatch.setenv("FACILITATOR_WEB_URL", "http://127.0.0.1:8080")
    assert await asyncio.to_thread(main, ["desk", "link", "telegram:123456"]) == 2
    assert "does not organise" in capsys.readouterr().err
    await organiser(engine, user, "123456")
    assert await asyncio.to_thread(main, ["desk", "link", "memory:123456"]) == 0
    link = capsys.readouterr().out.strip().removeprefix("http://127.0.0.1:8080")
    assert (await web.get(link)).headers["location"] == "/desk"
    assert (await web.get("/desk")).status_code == 200
