"""Dispatcher identities: a process of this node that is gone is dead at once; others by silence."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from companion.clock import FrozenClock
from companion.messaging import liveness, outbox
from companion.messaging.dispatcher import Dispatcher
from companion.messaging.policy import Purpose
from companion.models import OutboundMessage
from tests.fakes.fake_twilio import FakeTwilio


def _finished_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


@pytest.mark.parametrize(
    ("identity", "gone"),
    [
        (lambda: liveness.new_identity("dispatch"), False),  # this very process
        (lambda: f"dispatch:host:{liveness._node()}:{_finished_pid()}:abcdef", True),
        (lambda: f"dispatch:host:00000000:{_finished_pid()}:abcdef", False),  # another node: cannot tell
        (lambda: f"dispatch:host:{liveness._node()}:{os.getppid()}:abcdef", False),  # alive
        (lambda: "dispatch-oldstyle-123", False),
        (lambda: f"dispatch:host:{liveness._node()}:notapid:abcdef", False),
    ],
)
def test_an_identity_is_gone_only_when_its_process_on_this_node_is(identity, gone: bool) -> None:  # type: ignore[no-untyped-def]
    value = identity()
    assert len(value) <= 40
    assert liveness.gone_here(value) is gone


async def test_a_restarted_dispatcher_takes_back_at_once_what_a_dead_process_here_held(
    dispatcher: Dispatcher, fake: FakeTwilio, session: AsyncSession, clock: FrozenClock
) -> None:
    page = await outbox.enqueue(session, clock, to_phone="+12025550188", purpose=Purpose.STAFF_PAGE,
                                body="Urgent alert. Reply ACK 1234", clinic_id=None)
    await session.commit()
    dead = Dispatcher(dispatcher.engine, dispatcher.gateway, clock, events=dispatcher.events,
                      identity=f"dispatch:host:{liveness._node()}:{_finished_pid()}:abcdef")
    await dead.beat()
    [claimed] = await dead.claim(10)
    assert await dead._mark_in_flight(claimed)
    assert await dispatcher.drain() == 1  # no clock advance: its process is provably gone
    row = await session.get(OutboundMessage, page.id)
    assert row is not None
    await session.refresh(row)
    assert (row.status, row.attempts) == ("queued", 2)
    assert len(fake.messages_to("+12025550188")) == 1
