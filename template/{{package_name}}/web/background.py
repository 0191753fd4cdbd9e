"""Work that goes on after the response has been sent, such as delivering e-mails.

A caller then cannot tell from the response, or from how long it took, what the work found or
whether it failed; failures are logged instead.
"""

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

logger = logging.getLogger(__name__)

# The tasks under way: the event loop keeps only weak references to them.
_tasks: set[asyncio.Task[None]] = set()


def run_in_background(work: Coroutine[Any, Any, None], description: str) -> None:
    """Start `work` without waiting for it; if it fails, log `description` with the reason."""
    task = asyncio.create_task(_logging_failures(work, description))
    _tasks.add(task)
    task.add_done_callback(_tasks.discard)


async def _logging_failures(work: Coroutine[Any, Any, None], description: str) -> None:
    try:
        await work
    except Exception as error:
        logger.error("%s failed: %s", description, error or type(error).__name__)


async def wait_for_background_work(timeout_seconds: float) -> None:
    """Wait until the work under way in this event loop, and the work it starts, is done, at
    most `timeout_seconds`; then cancel what is left."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_seconds
    # This loop's only: a command run in a thread, as the tests run them, has a loop of its own,
    # whose tasks another loop can neither wait for nor cancel.
    while tasks := {task for task in _tasks if task.get_loop() is loop}:
        remaining = deadline - loop.time()
        _, unfinished = await asyncio.wait(tasks, timeout=max(remaining, 0))
        if unfinished and remaining <= 0:
            for task in unfinished:
                logger.warning("Cancelled, unfinished: %s", task.get_coro())
                task.cancel()
            return
