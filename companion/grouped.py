"""One statement for many callers: calls made while a statement runs wait for the next one, which
takes them all (group commit).

``Grouped(run, most)`` is awaited with one item and returns that item's result; ``run`` gets the
items of a group (at most ``most``, in the order they came) and returns a result for each. A group
whose statement fails fails each of its callers with that error; the next group is tried afresh.
The statement runs in a task of its own, so a caller that stops waiting neither stops nor loses
the others' group.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Hashable, Mapping
from typing import Generic, TypeVar

__all__ = ["Grouped"]

K = TypeVar("K", bound=Hashable)
R = TypeVar("R")


class Grouped(Generic[K, R]):
    def __init__(self, run: Callable[[list[K]], Awaitable[Mapping[K, R]]], *, most: int) -> None:
        if most < 1:
            raise ValueError("a group holds at least one item")
        self._run = run
        self._most = most
        self._waiting: list[tuple[K, asyncio.Future[R]]] = []
        self._task: asyncio.Task[None] | None = None

    async def __call__(self, item: K) -> R:
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        while self._waiting:
            group = self._waiting[: self._most]
            del self._waiting[: self._most]
            try:
                results = await self._run([item for item, _ in group])
            except BaseException as exc:
                for _, future in group:
                    if not future.done():
                        future.set_exception(exc)
                if isinstance(exc, asyncio.CancelledError):
                    raise
                continue
            for item, future in group:
                if not future.done():
                    future.set_result(results[item])

    async def close(self) -> None:
        """Stop the running statement's task (its callers get CancelledError)."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
