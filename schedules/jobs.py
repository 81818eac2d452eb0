"""The functions the job store names.

APScheduler stores a job as a reference to a module-level function
("schedules.jobs:advance") and its pickled arguments, so a stored job cannot
hold the live engine: it finds the running `Scheduler` here, which registers
itself when it starts. One scheduler runs per process (and per database).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from schedules.scheduler import Scheduler

log = logging.getLogger(__name__)
_running: Scheduler | None = None


def register(scheduler: Scheduler | None) -> None:
    global _running
    _running = scheduler


async def advance(discussion_id: int) -> None:
    """Do what is due in the discussion now (the database says what)."""
    if _running is None:
        log.warning("a job for discussion %s ran with no scheduler running; ignored", discussion_id)
        return
    await _running.advance(discussion_id)
