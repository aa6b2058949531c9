"""The dispatcher's loop: send what is due, then sleep until woken or the next tick."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from companion.messaging.dispatcher import Dispatcher

log = logging.getLogger("companion.dispatch")


async def run_dispatcher(
    dispatcher: Dispatcher, wait_for_work: Any, stop: asyncio.Event, *, tick: float = 1.0
) -> None:
    """Send until ``stop`` is set: drain what is due, then sleep until woken or the next tick.

    ``wait_for_work(timeout)`` is the doorbell (an in-process Waker, or a LISTEN connection).
    """
    while not stop.is_set():
        try:
            handled = await dispatcher.run_once()
        except Exception:
            log.exception("dispatch round failed; retrying at the next tick")
            handled = 0
        if handled == 0:
            await wait_for_work(tick)
    try:
        await dispatcher.retire()
    except Exception:
        log.exception("dispatcher could not retire; its rows are taken back once it is proven dead")
