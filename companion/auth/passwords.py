"""Password hashing with argon2, off the event loop.

One argon2 hash or check costs a core about a tenth of a second on purpose. Run on the event loop,
a handful of sign-ins at once would hold up every other request of the process, crisis webhooks
included. So hashing and checking run in a small thread pool of their own (argon2 releases the
interpreter lock while it works), and the number of checks waiting or running at once is capped:
past the cap a sign-in is refused with 429 and a Retry-After before it touches the database, so
a flood of wrong passwords costs the process a few threads' work and little more. The refusal is
answered after a short pause, which costs nothing but a waiting coroutine: a client that ignores
Retry-After and asks again at once would otherwise turn refusals into a busy loop that takes
the event loop from everyone else.

``hash_password`` and ``verify_password`` are the plain blocking forms, for offline code (the
CLI, tests' fixtures); everything on the request path goes through a ``PasswordPool``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from companion.errors import TooManyRequests

_hasher = PasswordHasher()
# A hash of a random password, verified when the email is unknown so timing does not tell.
_DUMMY_HASH = _hasher.hash("no-such-account-placeholder")

BUSY = "too many sign-ins are being checked at the moment; try again in a second"
REFUSAL_PAUSE_SECONDS = 0.5


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


class PasswordSlot:
    """The right to hash or check passwords, held for the length of one sign-in or change."""

    def __init__(self, executor: ThreadPoolExecutor) -> None:
        self._executor = executor

    async def hash(self, password: str) -> str:
        return await asyncio.get_running_loop().run_in_executor(self._executor, hash_password, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """``False`` for a wrong password and for ``None`` (an unknown account), after the same work."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, verify_password, password_hash, password)


class PasswordPool:
    """A bounded thread pool for argon2, and a cap on the sign-ins waiting for it.

    One per process (the app keeps it in its state); ``close`` at shutdown. The cap counts slots
    held on this event loop, so it needs no lock.
    """

    def __init__(self, workers: int, max_pending: int, retry_after_seconds: int = 1,
                 refusal_pause: float = REFUSAL_PAUSE_SECONDS) -> None:
        if workers < 1 or max_pending < 1:
            raise ValueError("a password pool needs at least one worker and one pending slot")
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="argon2")
        self.max_pending = max_pending
        self.retry_after_seconds = retry_after_seconds
        self.refusal_pause = refusal_pause
        self.pending = 0

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[PasswordSlot]:
        """Hold one of the ``max_pending`` slots; none free answers 429 after the pause."""
        if self.pending >= self.max_pending:
            await asyncio.sleep(self.refusal_pause)
            raise TooManyRequests(BUSY, retry_after=self.retry_after_seconds)
        self.pending += 1
        try:
            yield PasswordSlot(self._executor)
        finally:
            self.pending -= 1

    async def hash(self, password: str) -> str:
        async with self.slot() as slot:
            return await slot.hash(password)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
