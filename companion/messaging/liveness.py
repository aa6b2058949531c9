"""Which dispatchers are alive: each one has an identity and beats while it runs.

A row an outbox dispatcher holds names it (``outbound_message.claimed_by``). When its process
dies, its identity stops beating; any other dispatcher (or the same deployment restarted) then
proves it dead and settles what it held: rows only reserved go back to the queue untouched, rows it
had handed to the provider are settled by their purpose's rule. Dead is proven two ways: no beat for
``dead_after``, or at once when the identity names a process of this machine (and process
namespace) that no longer exists - a dispatcher restarted after a crash takes back at once.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import socket
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import ColumnElement, and_, delete, exists, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from companion.models import WorkerProcess
from companion.models.base import table_of

W = table_of(WorkerProcess)

# A dispatcher beats every BEAT_EVERY; one silent for DEAD_AFTER is dead. A restarted deployment
# therefore takes back what a killed dispatcher held within DEAD_AFTER + one recovery round.
BEAT_EVERY = timedelta(seconds=2)
DEAD_AFTER = timedelta(seconds=10)


@cache
def _node() -> str:
    """This machine and process namespace (process ids mean something only within one)."""
    try:
        namespace = os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        namespace = 0
    return hashlib.sha256(f"{socket.gethostname()}|{namespace}".encode()).hexdigest()[:8]


def new_identity(kind: str) -> str:
    """``kind:host:node:pid:random``: unique per process and start, at most 40 characters."""
    host = (socket.gethostname().split(".")[0] or "host")[:7]
    return f"{kind[:8]}:{host}:{_node()}:{os.getpid()}:{secrets.token_hex(3)}"[:40]


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def gone_here(identity: str) -> bool:
    """True only when ``identity`` names a process of this node that no longer exists."""
    parts = identity.split(":")
    if len(parts) != 5 or parts[2] != _node() or not parts[3].isdigit():
        return False
    pid = int(parts[3])
    return pid != os.getpid() and not _process_exists(pid)


async def gone_here_now(conn: AsyncConnection) -> list[str]:
    """The registered identities of this node whose processes have died."""
    identities = (await conn.execute(select(W.c.id).where(W.c.id.like(f"%:{_node()}:%")))).scalars()
    return [identity for identity in identities if gone_here(identity)]


async def beat(conn: AsyncConnection, identity: str, kind: str, now: datetime) -> None:
    """Say this identity is alive (registering it on its first beat, or again after it was taken
    for dead, which can happen to a process stalled longer than DEAD_AFTER)."""
    result = await conn.execute(update(W).where(W.c.id == identity).values(beat_at=now))
    if not result.rowcount:
        await conn.execute(insert(W).values(id=identity, kind=kind, started_at=now, beat_at=now))


async def retire(conn: AsyncConnection, identity: str) -> None:
    """A clean stop: the identity no longer holds anything."""
    await conn.execute(delete(W).where(W.c.id == identity))


def held_by_the_dead(claimed_by: ColumnElement[str | None], now: datetime, dead_after: timedelta = DEAD_AFTER,
                     known_dead: list[str] | None = None) -> ColumnElement[bool]:
    """True for a row held by an identity that has not beaten for ``dead_after`` (or is gone, or is
    in ``known_dead``)."""
    alive = exists(select(W.c.id).where(W.c.id == claimed_by, W.c.beat_at >= now - dead_after))
    dead = ~alive if not known_dead else or_(~alive, claimed_by.in_(known_dead))
    return and_(claimed_by.is_not(None), dead)


async def bury(conn: AsyncConnection, now: datetime, dead_after: timedelta = DEAD_AFTER,
               known_dead: list[str] | None = None) -> None:
    """Forget identities proven dead (call after settling what they held)."""
    await conn.execute(delete(W).where(or_(W.c.beat_at < now - dead_after, W.c.id.in_(known_dead or []))))
