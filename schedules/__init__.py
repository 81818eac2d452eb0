"""Rounds that open and close by themselves, and reminders: APScheduler 3
(`AsyncIOScheduler`, on the adapters' event loop) with its job store in the
project's database. See `schedules.scheduler`."""
