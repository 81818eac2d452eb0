"""The key points reviewed on the organisers' desk: the draft in the page, edited and saved,
then used by the report; a draft with a problem is shown again as written, nothing saved."""

from __future__ import annotations

import html
import re

import yaml

from tests.adapters.web.conftest import csrf_of, desk_link, participant_link
from tests.helpers import organiser
from tests.reports.synthesis.corpus import LABELLED, embed, read, store_contributions

ROWS = read(LABELLED)


def draft_in(page: str) -> str:
    match = re.search(r'<textarea id="draft" name="draft"[^>]*>(.*?)</textarea>', page, re.DOTALL)
    assert match, "the page shows no draft"
    return html.unescape(match.group(1))


async def test_an_organiser_reviews_the_key_points_in_the_desk_and_the_report_uses_them(web, engine, user):
    await store_contributions(engine.sessions, ROWS, embed([row["text"] for row in ROWS]), engine.clock())
    boss = await organiser(engine, user)
    await web.get(await desk_link(engine, boss.platform.name, boss.user_id))
    assert 'action="/desk/synthesis"' in (await web.get("/desk")).text
    page = await web.get("/desk/synthesis?lang=fr")
    assert page.status_code == 200 and "Not reviewed yet" in page.text
    draft = yaml.safe_load(draft_in(page.text))
    theme = next(question for question in draft["questions"] if question["themes"])["themes"][0]
    theme["label"], theme["summary"] = "Les jumelages <avec> la diaspora", "Notre résumé."
    saved = await web.post(
        "/desk/synthesis",
        data={"csrf": csrf_of(page.text), "lang": "fr", "draft": yaml.safe_dump(draft, allow_unicode=True, sort_keys=False)},
    )
    assert saved.status_code == 200
    assert "Your review is saved" in saved.text
    assert "Les jumelages &lt;avec&gt; la diaspora" in saved.text  # escaped, and kept in the new draft
    report = await web.get("/desk/report?lang=fr&format=md")
    text = report.content.decode("utf-8").replace("\\", "")
    assert "Les jumelages <avec> la diaspora" in text and "Notre résumé." in text and "revus par les organisateurs" in text


async def test_a_draft_with_a_problem_is_shown_again_as_written_and_nothing_is_saved(web, engine, user):
    await store_contributions(engine.sessions, ROWS, embed([row["text"] for row in ROWS]), engine.clock())
    boss = await organiser(engine, user)
    await web.get(await desk_link(engine, boss.platform.name, boss.user_id))
    page = await web.get("/desk/synthesis?lang=en")
    broken = draft_in(page.text).replace("questions:", "questions: [", 1)
    answer = await web.post("/desk/synthesis", data={"csrf": csrf_of(page.text), "lang": "en", "draft": broken})
    assert answer.status_code == 422
    assert "not readable as YAML" in answer.text
    assert draft_in(answer.text) == broken
    again = await web.get("/desk/synthesis?lang=en")
    assert "Not reviewed yet" in again.text


async def test_a_participant_cannot_open_nor_save_the_key_points(web, engine):
    page = await web.get(await participant_link(engine))
    assert (await web.get("/desk/synthesis?lang=fr")).status_code == 403
    me = await web.get("/me")
    posted = await web.post("/desk/synthesis", data={"csrf": csrf_of(me.text), "lang": "fr", "draft": "questions: []"})
    assert posted.status_code == 403
    assert page.status_code == 303


async def test_what_stops_a_save_is_said_in_the_desks_language_whatever_the_drafts(web, engine, user):
    await store_contributions(engine.sessions, ROWS, embed([row["text"] for row in ROWS]), engine.clock())
    boss = await organiser(engine, user)
    await web.get(await desk_link(engine, boss.platform.name, boss.user_id))
    await web.get("/desk?lang=fr")  # the organiser reads the desk in French, and reviews the English draft
    page = await web.get("/desk/synthesis?lang=en")
    draft = yaml.safe_load(draft_in(page.text))
    themes = next(question for question in draft["questions"] if len(question["themes"]) >= 2)["themes"]
    twice = themes[0]["contributions"][0]
    themes[1]["contributions"].append(twice)
    themes[0]["label"] = ""
    answer = await web.post(
        "/desk/synthesis",
        data={"csrf": csrf_of(page.text), "lang": "en", "draft": yaml.safe_dump(draft, allow_unicode=True, sort_keys=False)},
    )
    assert answer.status_code == 422
    said = html.unescape(answer.text)
    assert f"#{twice} est à la fois dans thème {themes[0]['theme']} et dans thème {themes[1]['theme']}" in said
    assert f"thème {themes[0]['theme']} : donnez-lui un libellé (label)" in said
    assert "is in both" not in said
