"""Cross-process wake-ups on PostgreSQL: LISTEN on the outbox channel and ring the local waker."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from companion.messaging.wakeup import CHANNEL, INBOUND_CHANNEL, Waker

log = logging.getLogger("companion.dispatch")


class OutboxListener:
    """Keeps one connection listening; any commit that queued urgent work rings ``waker``
    (and, when given, a stored inbound message rings ``inbound_waker``)."""

    def __init__(self, engine: AsyncEngine, waker: Waker, inbound_waker: Waker | None = None) -> None:
        self.engine = engine
        self.waker = waker
        self.inbound_waker = inbound_waker
        self._conn: AsyncConnection | None = None
        self._driver: Any = None

    def _on_notify(self, *_args: Any) -> None:
        self.waker.wake()

    def _on_inbound(self, *_args: Any) -> None:
        if self.inbound_waker is not None:
            self.inbound_waker.wake()

    async def start(self) -> bool:
        """Start listening; False (and the tick alone) where the database has no LISTEN."""
        if self.engine.dialect.name != "postgresql":
            return False
        self._conn = await self.engine.connect()
        raw = await self._conn.get_raw_connection()
        self._driver = raw.driver_connection
        await self._driver.add_listener(CHANNEL, self._on_notify)
        if self.inbound_waker is not None:
            await self._driver.add_listener(INBOUND_CHANNEL, self._on_inbound)
        log.info("listening for outbox wake-ups")
        return True

    async def stop(self) -> None:
        if self._driver is not None:
            try:
                await self._driver.remove_listener(CHANNEL, self._on_notify)
                if self.inbound_waker is not None:
                    await self._driver.remove_listener(INBOUND_CHANNEL, self._on_inbound)
            except Exception:  # the connection may already be gone
                log.debug("listener already closed")
            self._driver = None
        if self._conn is not None:
            await self._conn.close()
            self._conn = None
