"""Rows that expire, deleted by the code that writes to their table: no scheduled job to run."""

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import Column, delete
from sqlalchemy.ext.asyncio import AsyncSession

# How often a worker deletes a table's expired rows, at most.
CLEANUP_INTERVAL_SECONDS = 60


class ExpiredRows:
    """The rows of one table whose `written_at` is more than `lifetime_seconds` ago.

    Call `delete_when_due` where rows are written (a login writes an access token): at most
    once every CLEANUP_INTERVAL_SECONDS in a process, it deletes the rows that have expired, so
    that the table holds about one lifetime of rows without a cron job. Each worker sweeps on
    its own; a row deleted twice is no harm. `clock` gives monotonic seconds; the tests move it.
    """

    def __init__(
        self,
        written_at: Column[datetime],
        lifetime_seconds: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.written_at = written_at
        self.lifetime_seconds = lifetime_seconds
        self.clock = clock
        self.next_cleanup: float | None = None

    async def delete_when_due(self, session: AsyncSession) -> None:
        """Delete the expired rows and commit, unless the last time was less than an interval
        ago in this process."""
        now = self.clock()
        if self.next_cleanup is not None and now < self.next_cleanup:
            return
        self.next_cleanup = now + CLEANUP_INTERVAL_SECONDS
        oldest_kept = datetime.now(UTC) - timedelta(seconds=self.lifetime_seconds)
        await session.execute(delete(self.written_at.table).where(self.written_at < oldest_kept))
        await session.commit()
