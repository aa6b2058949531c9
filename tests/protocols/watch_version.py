"""A second process that prints the version label its ProtocolSource serves for one clinic each
time it changes: ``python -m tests.protocols.watch_version DATABASE_URL CLINIC_ID SECONDS``."""

from __future__ import annotations

import asyncio
import sys

from companion.db import create_engine, create_sessionmaker
from companion.protocols import DEFAULT_PROTOCOL_FILE, ProtocolSource
from tests.conftest import make_settings


async def watch(database_url: str, clinic_id: int, seconds: float) -> None:
    engine = create_engine(make_settings(database_url))
    maker = create_sessionmaker(engine)
    source = ProtocolSource.from_file(DEFAULT_PROTOCOL_FILE)
    last = None
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while loop.time() < deadline:
        async with maker() as session:
            label = (await source.for_clinic(session, clinic_id)).version
        if label != last:
            print(label, flush=True)
            last = label
        await asyncio.sleep(0.05)
    await engine.dispose()


if __name__ == "__main__":
    asyncio.run(watch(sys.argv[1], int(sys.argv[2]), float(sys.argv[3])))
