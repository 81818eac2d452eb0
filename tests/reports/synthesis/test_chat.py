"""/synthesis in chat: an organiser gets the Word report with its key points and the draft
file to review them; anyone else is refused."""

from __future__ import annotations

import io

import docx
import yaml

from bot.reports.synthesis.draft import from_yaml
from tests.helpers import organiser
from tests.reports.synthesis.corpus import LABELLED, embed, read, store_contributions

ROWS = read(LABELLED)


async def test_an_organiser_gets_the_draft_report_and_the_file_to_review(engine, platform, user):
    await store_contributions(engine.sessions, ROWS, embed([row["text"] for row in ROWS]), engine.clock())
    boss = await organiser(engine, user, language="es")
    await engine.handle_message(boss.message("/synthesis fr"))
    report, draft = platform.to(boss.dm)[-2:]
    name, content = report.attachment
    assert name == "m4d-2013-report-fr.docx"
    assert "sin revisar" in report.text  # in the organiser's language: not reviewed yet
    paragraphs = [paragraph.text for paragraph in docx.Document(io.BytesIO(content)).paragraphs]
    assert "Les points clés en bref" in paragraphs and "Points clés" in paragraphs
    name, content = draft.attachment
    assert name == "m4d-2013-synthesis-fr.yaml"
    assert "facilitator synthesis --discussion m4d-2013 --lang fr" in draft.text
    synthesis = from_yaml(content.decode("utf-8"))
    assert synthesis.language == "fr" and any(question.themes for question in synthesis.questions)
    assert yaml.safe_load(content)["reviewed_at"] is None


async def test_someone_else_cannot_get_the_synthesis(engine, platform, user):
    ana = user("ana", "es")
    await engine.handle_message(ana.message("/synthesis es"))
    refusal = platform.last(ana.dm)
    assert refusal.attachment is None


async def test_an_unknown_language_gets_the_commands_use(engine, platform, user):
    boss = await organiser(engine, user)
    await engine.handle_message(boss.message("/synthesis de"))
    answer = platform.last(boss.dm)
    assert answer.attachment is None and "/synthesis fr" in answer.text
