"""Handing a "run now" or a large upload to a job: the interface the routes see, whatever runs
the job (Procrastinate on PostgreSQL, api/jobs/queue.py; in-process on SQLite,
api/jobs/inprocess.py). Either way the job holds the user's lock, the one the nightly job holds,
so at most one import per user runs at a time."""

from __future__ import annotations

from typing import Protocol


class AlreadyQueued(Exception):
    """A job with this queueing lock is still waiting: the caller answers with its run."""


def user_lock(user_id: int) -> str:
    """The lock every import job of a user holds (the nightly job's too)."""
    return f"user:{user_id}"


def source_queueing_lock(source_id: int) -> str:
    """At most one "run now" of a source waits at a time."""
    return f"run:{source_id}"


class Jobs(Protocol):
    async def run_source(self, user_id: int, source_id: int, run_id: int) -> None:
        """Queue a source's run into its queued ImportRun; AlreadyQueued if one waits."""
        ...

    async def import_upload(self, user_id: int, run_id: int, filename: str, fmt: str) -> None:
        """Queue the import of a stored upload into its queued ImportRun."""
        ...

    async def close(self) -> None:
        """At shutdown."""
        ...
