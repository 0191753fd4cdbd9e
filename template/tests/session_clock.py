"""The sessions' clock (sessions/store.py `now`), which a test moves on instead of waiting: the
lifetimes and idle timeouts of sessions, and the re-authentication window, run on it."""

import datetime


class SessionClock:
    """The time of the sessions for a test, from its start, until the test moves it."""

    def __init__(self) -> None:
        # Whole seconds, which every database keeps as they are.
        self.now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)

    def advance(self, seconds: float) -> None:
        self.now += datetime.timedelta(seconds=seconds)
