"""How long `facilitator run` takes, from launch, to answer a /start in the console.

Each run launches the bot on a fresh SQLite database (its migrations included) and on the
database of the run before, types /start in a terminal (a pseudo-terminal, as a person at
the console: a pipe is read only once the model has loaded), and times the welcome; the
sentence-embedding model loads in the background meanwhile. Target: within 3 s of launch.
Run: python bench/bench_startup.py [RUNS]
"""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 3.0
WELCOME = "Bienvenue"  # the example discussion's first language


def answered_after(database: Path, tree: Path | None = None) -> float:
    """Seconds from launch to the welcome; `tree`: another checkout of the project to run instead (to compare)."""
    env = {**os.environ, "FACILITATOR_DATABASE_URL": f"sqlite+aiosqlite:///{database}"}
    if tree is not None:
        env["PYTHONPATH"] = str(tree)
    for token in ("FACILITATOR_TELEGRAM_TOKEN", "FACILITATOR_DISCORD_TOKEN"):
        env.pop(token, None)
    keyboard, terminal = pty.openpty()
    started = time.perf_counter()
    bot = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "python"), "-c", "import sys; from facilitator.cli import main; sys.exit(main())", "run"],
        stdin=terminal,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        cwd=database.parent,
    )
    os.close(terminal)
    assert bot.stdout is not None
    os.write(keyboard, b"/start\n")
    try:
        for line in bot.stdout:
            if WELCOME.encode() in line:
                return time.perf_counter() - started
        raise RuntimeError("the bot ended without welcoming")
    finally:
        os.write(keyboard, b"\x04")  # Ctrl-D: the end of input
        bot.wait(30)
        os.close(keyboard)


def main(runs: int = 3, before: Path | None = None) -> None:
    """`before`: a checkout of the project without the model (e.g. `git worktree`), timed alternately."""
    with tempfile.TemporaryDirectory() as directory:
        for run in range(runs):
            database = Path(directory) / f"run{run}.db"
            fresh = answered_after(database)
            again = answered_after(database)
            line = f"run {run + 1}: /start answered {fresh:.2f} s after launch on a new database, {again:.2f} s on an existing one"
            line += f" ({max(fresh, again) / TARGET_SECONDS:.2f} × the target of {TARGET_SECONDS:.0f} s)"
            if before is not None:
                old = Path(directory) / f"before{run}.db"
                line += f"; before: {answered_after(old, before):.2f} s and {answered_after(old, before):.2f} s"
            print(line)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3, Path(sys.argv[2]) if len(sys.argv) > 2 else None)
