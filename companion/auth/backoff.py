"""Exponential backoff for sign-in attempts. Pure: no I/O.

An attempt is counted before it is checked (a guess that is never counted is never checked);
success starts afresh. The first ``free`` attempts in a row go through back to back; after the
``free``-th the next waits 2 s, after the one after that 4 s, then 8 s ... up to ``cap`` seconds.
So a patient or a staff member who mistypes a few times never waits, a guesser soon waits
minutes per guess, and nobody is shut out for longer than the cap.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Backoff:
    free: int
    cap_seconds: int
    forget: timedelta  # a key quiet for this long starts afresh

    def delay(self, attempts: int) -> timedelta:
        """How long the next attempt waits after ``attempts`` counted ones."""
        if attempts < self.free:
            return timedelta(0)
        exponent = attempts - self.free + 1
        if exponent >= math.log2(self.cap_seconds) + 1:
            return timedelta(seconds=self.cap_seconds)
        return timedelta(seconds=min(self.cap_seconds, 2**exponent))

    def schedule(self, now: datetime) -> list[datetime]:
        """When the next attempt is allowed if this one, counted at ``now``, is the
        ``free + k``-th: ``schedule(now)[k]``. Fewer attempts wait nothing; more wait the last
        entry (the cap). A handful of entries, whatever ``free`` is."""
        times = []
        attempts = self.free
        while True:
            delay = self.delay(attempts)
            times.append(now + delay)
            if delay.total_seconds() >= self.cap_seconds:
                return times
            attempts += 1


def retry_after_seconds(now: datetime, allowed_at: datetime) -> int:
    """Whole seconds until ``allowed_at``, rounded up, at least 1 (the value of Retry-After)."""
    return max(1, math.ceil((allowed_at - now).total_seconds()))
