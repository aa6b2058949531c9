"""Grouped: calls made while a statement runs are taken together by the next one."""

from __future__ import annotations

import asyncio

import pytest

from companion.grouped import Grouped


class Recorder:
    def __init__(self, *, fail_on: int | None = None) -> None:
        self.groups: list[list[int]] = []
        self.fail_on = fail_on
        self.gate = asyncio.Event()
        self.gate.set()

    async def run(self, items: list[int]) -> dict[int, int]:
        self.groups.append(list(items))
        await self.gate.wait()
        await asyncio.sleep(0)
        if self.fail_on is not None and self.fail_on in items:
            raise RuntimeError("statement failed")
        return {item: item * 10 for item in items}


async def test_a_lone_call_runs_at_once_with_its_own_result() -> None:
    recorder = Recorder()
    grouped = Grouped(recorder.run, most=8)
    assert await grouped(3) == 30
    assert recorder.groups == [[3]]


@pytest.mark.parametrize(("calls", "most", "groups"), [
    (5, 8, [[0], [1, 2, 3, 4]]),            # the first runs alone, the rest came meanwhile
    (10, 4, [[0], [1, 2, 3, 4], [5, 6, 7, 8], [9]]),  # never more than ``most`` in one statement
    (2, 1, [[0], [1]]),
])
async def test_calls_that_arrive_while_a_statement_runs_go_in_the_next(
    calls: int, most: int, groups: list[list[int]]
) -> None:
    recorder = Recorder()
    recorder.gate.clear()
    grouped = Grouped(recorder.run, most=most)
    first = asyncio.create_task(grouped(0))
    await asyncio.sleep(0)  # the first statement is running
    rest = [asyncio.create_task(grouped(n)) for n in range(1, calls)]
    await asyncio.sleep(0)
    recorder.gate.set()
    assert await asyncio.gather(first, *rest) == [n * 10 for n in range(calls)]
    assert recorder.groups == groups


async def test_a_failed_statement_fails_its_own_callers_only() -> None:
    recorder = Recorder(fail_on=2)
    recorder.gate.clear()
    grouped = Grouped(recorder.run, most=2)
    tasks = [asyncio.create_task(grouped(n)) for n in range(5)]
    await asyncio.sleep(0)
    recorder.gate.set()
    outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    assert recorder.groups == [[0, 1], [2, 3], [4]]
    assert outcomes[:2] == [0, 10] and outcomes[4] == 40
    assert all(isinstance(o, RuntimeError) for o in outcomes[2:4])
    assert await grouped(7) == 70  # and the next call is tried afresh


async def test_a_caller_that_stops_waiting_does_not_stop_the_others() -> None:
    recorder = Recorder()
    recorder.gate.clear()
    grouped = Grouped(recorder.run, most=8)
    leaving = asyncio.create_task(grouped(1))
    staying = asyncio.create_task(grouped(2))
    await asyncio.sleep(0)
    leaving.cancel()
    recorder.gate.set()
    assert await staying == 20
    assert leaving.cancelled()


async def test_a_group_holds_at_least_one() -> None:
    with pytest.raises(ValueError):
        Grouped(Recorder().run, most=0)
