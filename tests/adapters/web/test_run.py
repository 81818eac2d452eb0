"""`facilitator run --organiser` with FACILITATOR_WEB_URL, the README's first
command: it serves the web beside the console and prints a desk link that
signs the console's organiser in; /web in the console gives a page of one's
own; no token is logged."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_run_with_a_web_address_prints_a_desk_link_that_signs_the_organiser_in(tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("FACILITATOR_")}
    env.update(FACILITATOR_WEB_URL=url, FACILITATOR_WEB_LISTEN=f"127.0.0.1:{port}", PYTHONUNBUFFERED="1", PYTHONPATH=str(ROOT))
    bot = subprocess.Popen(
        [sys.executable, "-m", "facilitator", "run", "--organiser"],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        printed = []
        while not (link := re.search(re.escape(url) + r"/p/[A-Za-z0-9_-]{40,}", "".join(printed))):
            line = bot.stdout.readline().decode()
            assert line, f"the bot stopped: {printed}"
            printed.append(line)
        with httpx.Client(base_url=url, timeout=10) as browser:
            for _attempt in range(100):  # the web is served once the platforms start
                try:
                    signed_in = browser.get(link.group(0))
                    break
                except httpx.ConnectError:
                    time.sleep(0.1)
            else:
                raise AssertionError(f"nothing answers on {url}")
            assert signed_in.status_code == 303 and signed_in.headers["location"] == "/desk"
            cookie = signed_in.headers["set-cookie"].lower()
            assert "httponly" in cookie and "samesite=lax" in cookie and "max-age=43200" in cookie
            desk = browser.get("/desk")
            assert desk.status_code == 200 and "Open round 1" in desk.text
            bot.stdin.write(b"/web\n")  # the console's participant asks for their own page
            bot.stdin.flush()
            answered = len(printed)
            while not (page := re.search(re.escape(url) + r"/p/[A-Za-z0-9_-]{40,}", "".join(printed[answered:]))):
                line = bot.stdout.readline().decode()
                assert line, f"the bot stopped: {printed}"
                printed.append(line)
            with httpx.Client(base_url=url, timeout=10) as participant:
                assert participant.get(page.group(0)).headers["location"] == "/me"
                assert participant.get("/me").status_code == 200
    finally:
        bot.send_signal(signal.SIGINT)
        _out, errors = bot.communicate(timeout=60)
    token = link.group(0).rsplit("/", 1)[1]
    assert token not in errors.decode() and "Traceback" not in errors.decode()
