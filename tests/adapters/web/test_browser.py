"""In a real browser: Debian's Chromium driven by Playwright, against the
app served by Uvicorn on 127.0.0.1 in the engine's event loop, on a real
SQLite database. One browser for all of them; a screenshot is saved when a
test fails (tests/adapters/web/screenshots/, or $WEB_SCREENSHOTS)."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import re
import shutil
import socket
import threading
from pathlib import Path

import pytest
from sqlalchemy import select

from adapters.web import WebChat
from bot.conversation import web_access
from bot.conversation.engine import utc_now
from bot.discussion import store
from bot.discussion.spec import example_discussion_path, load_discussion
from bot.ports import Secret
from bot.storage.database import create_engine, session_factory
from bot.storage.models import Contribution, ContributionStatus, Participant
from facilitator.assembly import make_engine

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists() and os.environ.get("CI") != "true", reason="Debian's chromium is not installed (.ci/run installs it)"
)
SCREENSHOTS = Path(os.environ.get("WEB_SCREENSHOTS", Path(__file__).parent / "screenshots"))


class Served:
    """The engine and the web in an event loop of their own, on a worker thread,
    so that the browser's synchronous API can drive them from the test."""

    def __init__(self, database_path: Path):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.database = self.run(self._database(database_path))
        self.engine = make_engine(session_factory(self.database))
        self.web = WebChat(self.url, f"127.0.0.1:{self.port}", Secret("browser-test-secret"))
        self.engine.attach(self.web)
        self.run(self.engine.load(load_discussion(example_discussion_path())))
        self.serving = asyncio.run_coroutine_threadsafe(self.web.serve(self.engine), self.loop)
        self.run(self._started())

    @staticmethod
    async def _database(path: Path):
        return create_engine(f"sqlite+aiosqlite:///{path}")

    async def _started(self) -> None:
        while self.web.server is None or not self.web.server.started:
            await asyncio.sleep(0.02)

    def run(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=60)

    def stop(self) -> None:
        self.web.stop()
        self.serving.result(timeout=10)
        self.run(self.database.dispose())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)

    # --- what a test sets up, as the CLI and chat commands do ---

    def participant_link(self, name: str, language: str, *, expired: bool = False) -> str:
        """A contact's personal link; `expired`: issued longer ago than a link lasts."""

        async def issue() -> str:
            issued = utc_now() - (web_access.PARTICIPANT_LINK_LIFETIME + dt.timedelta(minutes=1) if expired else dt.timedelta())
            async with self.engine.sessions() as session:
                discussion = await store.find_discussion(session)
                participant = Participant(display_name=name, name=name, language=language, created_at=issued)
                session.add(participant)
                await session.flush()
                token = await web_access.issue_participant_link(session, discussion, participant, issued)
                await session.commit()
            return f"{self.url}/p/{token}"

        return self.run(issue())

    def desk_link(self, platform: str, user_id: str) -> str:
        async def issue() -> str:
            async with self.engine.sessions() as session:
                discussion = await store.find_discussion(session)
                await store.grant_organiser(session, discussion, platform, user_id, utc_now())
                token = await web_access.issue_desk_link(session, discussion, platform, user_id, utc_now())
                await session.commit()
            return f"{self.url}/p/{token}"

        return self.run(issue())

    def contributions(self) -> list[tuple]:
        async def read() -> list[tuple]:
            async with self.engine.sessions() as session:
                rows = await session.execute(
                    select(Contribution.id, Contribution.text, Contribution.status, Contribution.hidden).order_by(Contribution.id)
                )
                return [tuple(row) for row in rows]

        return self.run(read())

    def open_round(self, number: int) -> None:
        async def act() -> None:
            from schedules import rounds

            async with self.engine.sessions() as session:
                discussion = await store.find_discussion(session)
                await rounds.open_round(session, discussion, await store.round_by_number(session, discussion, number), utc_now())
                await session.commit()

        self.run(act())


@pytest.fixture(scope="module")
def served(_sqlite_template, tmp_path_factory):
    path = tmp_path_factory.mktemp("web") / "facilitator.db"
    shutil.copyfile(_sqlite_template, path)
    server = Served(path)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser():
    """One browser for all the browser tests, which live in this module: Playwright's
    synchronous API holds the thread's event loop while it runs, so it is stopped
    before the next module's asyncio tests."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.failed_call = report.failed


@pytest.fixture
def page(browser, request, served):
    context = browser.new_context(locale="es-ES", accept_downloads=True)
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    if getattr(request.node, "failed_call", False):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(SCREENSHOTS / f"{request.node.name}.png"), full_page=True)
    context.close()


def send_by_keyboard(tab, field) -> None:
    """Tab from the field to its form's button, and press Enter: no mouse."""
    field.press("Tab")
    with tab.expect_navigation():
        tab.keyboard.press("Enter")


def click_and_wait(tab, target) -> None:
    with tab.expect_navigation():
        target.click()


def no_serious_accessibility_violation(tab) -> None:
    from axe_playwright_python.sync_playwright import Axe

    violations = Axe().run(tab).response["violations"]
    serious = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in violations if v["impact"] in ("serious", "critical")]
    assert not serious, serious


def test_a_participant_answers_two_questions_edits_one_and_answers_three_at_once(served, page):
    served.open_round(1)
    page.goto(served.participant_link("Ana Pérez", "es"))
    assert page.locator("html").get_attribute("lang") == "es"
    no_serious_accessibility_violation(page)

    page.get_by_label("Su respuesta a la pregunta 1.1").fill("Los hermanamientos con la diáspora funcionan en nuestra ciudad.")
    send_by_keyboard(page, page.get_by_label("Su respuesta a la pregunta 1.1"))
    assert "1.1" in page.locator(".notes").inner_text()
    page.get_by_label("Su respuesta a la pregunta 1.2").fill("Un fondo común gestionado por los municipios.")
    click_and_wait(page, page.locator("#q-1\\.2 button"))
    assert "1.2" in page.locator(".notes").inner_text()

    first = served.contributions()[0][0]
    page.get_by_label(f"Edite su respuesta #{first}").fill("Los hermanamientos con la diáspora funcionan, sobre todo en educación.")
    click_and_wait(page, page.locator(f"#edit-{first} ~ button"))
    assert "el texto anterior se conserva" in page.locator(".notes").inner_text()

    page.get_by_label("Tus respuestas").fill(
        "Pregunta 3: formar a los funcionarios locales.\nPregunta 4: crear oficinas para migrantes.\nPregunta 5: medir los resultados cada año."
    )
    send_by_keyboard(page, page.locator("#several"))
    notes = page.locator(".notes").inner_text()
    assert all(key in notes for key in ("1.3", "1.4", "1.5")), notes
    texts = [text for _id, text, _status, _hidden in served.contributions()]
    assert texts[0] == "Los hermanamientos con la diáspora funcionan, sobre todo en educación."
    assert len(texts) == 5
    no_serious_accessibility_violation(page)


def test_another_participant_reads_what_was_published_after_answering(served, page):
    served.open_round(1)
    page.goto(served.participant_link("Mamadou Sene", "fr"))
    assert page.locator("html").get_attribute("lang") == "fr"
    page.locator("#answer-1\\.1").fill("Je suis d'accord avec Ana : le jumelage marche.")
    click_and_wait(page, page.locator("#q-1\\.1 button"))
    published = page.locator("blockquote.published")
    published.first.wait_for()
    assert published.first.get_attribute("lang") == "es"
    assert "hermanamientos" in published.first.inner_text()


def test_an_organiser_opens_round_2_files_a_waiting_answer_hides_one_and_downloads_the_report(served, page, tmp_path):
    page.goto(served.participant_link("Howard Duncan", "en"))
    page.get_by_label("Your answers", exact=True).fill("We should involve diaspora associations from the very start, in every project.")
    send_by_keyboard(page, page.locator("#several"))
    waiting = [cid for cid, _text, status, _hidden in served.contributions() if status == ContributionStatus.pending]

    desk = served.desk_link("telegram", "123456")
    page.goto(desk)
    assert page.url.endswith("/desk")
    click_and_wait(page, page.get_by_role("link", name="Abrir la ronda 2"))
    click_and_wait(page, page.get_by_role("button", name="Sí, hazlo"))
    assert page.locator(".notes").count() == 1
    assert "2" in page.locator(".notes").inner_text()

    assert len(waiting) == 1, "an answer without a question's number waits for an organiser"
    page.get_by_label(f"Archivar la respuesta #{waiting[0]} bajo la pregunta").select_option("1.2")
    click_and_wait(page, page.locator(f"#file-{waiting[0]} ~ button"))
    assert [s for cid, _t, s, _h in served.contributions() if cid == waiting[0]] == [ContributionStatus.filed]

    page.goto(f"{served.url}/desk?question=1.1#shown")
    first = served.contributions()[0][0]
    page.get_by_label(f"Por qué (para que conste), #{first}").fill("Publicidad, no una respuesta")
    click_and_wait(page, page.get_by_role("button", name=f"Ocultar #{first}"))
    assert [hidden for cid, _t, _s, hidden in served.contributions() if cid == first] == [True]
    page.goto(f"{served.url}/desk")
    assert "Publicidad, no una respuesta" in page.locator("#acts-title + .table-box table").inner_text()
    no_serious_accessibility_violation(page)

    page.get_by_label("Formato").select_option("docx")
    with page.expect_download() as download:
        page.get_by_role("button", name="Descargar el informe").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.suffix == ".docx" and saved.read_bytes()[:2] == b"PK"


def test_a_participants_link_does_not_open_the_desk(served, page):
    page.goto(served.participant_link("Eve", "en"))
    response = page.goto(f"{served.url}/desk")
    assert response is not None and response.status == 403
    assert re.search("organi", page.content())


def test_a_forged_or_expired_link_opens_nothing(served, page):
    response = page.goto(f"{served.url}/p/{'x' * 43}")
    assert response is not None and response.status == 403
    assert page.locator("html").get_attribute("lang") == "es"
    expired = served.participant_link("Zoé", "fr", expired=True)
    response = page.goto(expired)
    assert response is not None and response.status == 403
    assert [cookie["name"] for cookie in page.context.cookies()] == []  # no session was opened


def test_a_form_sent_without_its_csrf_token_is_refused(served, page):
    served.open_round(1)
    page.goto(served.participant_link("Olga", "es"))
    before = len(served.contributions())
    page.locator("#q-1\\.1 input[name=csrf]").evaluate("field => field.remove()")
    page.get_by_label("Su respuesta a la pregunta 1.1").fill("Una respuesta enviada sin su ficha.")
    with page.expect_navigation() as navigation:
        page.locator("#q-1\\.1 button").click()
    assert navigation.value is not None and navigation.value.status == 403
    assert len(served.contributions()) == before


def test_the_page_fits_a_phone(served, browser):
    served.open_round(1)
    phone = browser.new_context(locale="fr-FR", viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    try:
        tab = phone.new_page()
        tab.goto(served.participant_link("Awa Diop", "fr"))
        assert tab.evaluate("document.documentElement.scrollWidth") <= 360, "nothing runs off the screen sideways"
        box = tab.get_by_label("Votre réponse à la question 1.1").bounding_box()
        assert box is not None and box["width"] >= 300  # the answer box takes the screen's width
        no_serious_accessibility_violation(tab)
    finally:
        phone.close()


def test_the_desk_fits_a_phone(served, browser):
    """At 360 px, the page never scrolls sideways: a table wider than the screen scrolls in its own box."""
    served.open_round(1)
    participant = browser.new_context(locale="en-GB")
    try:
        tab = participant.new_page()
        tab.goto(served.participant_link("Bartholomew Featherstonehaugh-Winterbottom", "en"))
        tab.get_by_label("Your answer to question 1.1").fill("Twinning between municipalities works, in our long experience.")
        click_and_wait(tab, tab.locator("#q-1\\.1 button"))
    finally:
        participant.close()
    phone = browser.new_context(locale="en-GB", viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    try:
        tab = phone.new_page()
        tab.goto(served.desk_link("telegram", "123456"))
        for path in ("/desk", "/desk?participants=on", "/desk?question=1.1"):
            tab.goto(f"{served.url}{path}")
            assert tab.evaluate("document.documentElement.scrollWidth") <= 360, path
            no_serious_accessibility_violation(tab)
    finally:
        phone.close()
