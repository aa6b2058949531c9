"""Post a correctly signed inbound SMS to a running companion, as Twilio would, and show the
replies it sends back (read from the outbox of the same database)."""

from __future__ import annotations

import asyncio
import secrets
import time
from dataclasses import dataclass

import httpx
from sqlalchemy import func, select
from sqlmodel import col

from companion.db import create_engine, create_sessionmaker
from companion.messaging.gateways import INBOUND_PATH
from companion.messaging.signatures import sign
from companion.models import InboundMessage, InboundStatus, OutboundMessage
from companion.settings import Settings


@dataclass(frozen=True)
class SimulatedReply:
    status_code: int
    replies: list[str]
    handled: bool


def build_params(settings: Settings, from_phone: str, to_phone: str, body: str) -> dict[str, str]:
    sid = "SM" + secrets.token_hex(16)
    return {
        "MessageSid": sid,
        "SmsMessageSid": sid,
        "SmsSid": sid,
        "AccountSid": settings.twilio_account_sid or "AC" + "0" * 32,
        "From": from_phone,
        "To": to_phone,
        "Body": body,
        "NumMedia": "0",
        "NumSegments": "1",
        "ApiVersion": "2010-04-01",
    }


async def simulate_async(
    settings: Settings, from_phone: str, body: str, *, to_phone: str | None = None, target: str | None = None,
    wait_seconds: float = 10.0,
) -> SimulatedReply:
    """Sign over the public URL (what Twilio would call), post to ``target`` (default: that URL),
    then wait until the companion has handled the message and collect the replies it queued."""
    public = settings.public_base_url.rstrip("/") + INBOUND_PATH
    params = build_params(settings, from_phone, to_phone or settings.twilio_from_number or "+15005550006", body)
    url = (target.rstrip("/") + INBOUND_PATH) if target else public
    engine = create_engine(settings)
    maker = create_sessionmaker(engine)
    try:
        async with maker() as session:
            before = int((await session.execute(select(func.max(OutboundMessage.id)))).scalar_one() or 0)
        headers = {"X-Twilio-Signature": sign(settings, public, params)}
        async with httpx.AsyncClient(timeout=wait_seconds) as client:
            response = await client.post(url, data=params, headers=headers)
        if response.status_code != 200:
            return SimulatedReply(response.status_code, [], False)
        deadline = time.monotonic() + wait_seconds
        while time.monotonic() < deadline:
            async with maker() as session:
                status = (
                    await session.execute(
                        select(col(InboundMessage.status))
                        .where(col(InboundMessage.message_sid) == params["MessageSid"])
                    )
                ).scalar_one_or_none()
                if status not in (None, InboundStatus.RECEIVED):
                    rows = await session.execute(
                        select(col(OutboundMessage.body))
                        .where(col(OutboundMessage.id) > before, col(OutboundMessage.to_phone) == from_phone,
                               col(OutboundMessage.purpose) == "reply")
                        .order_by(col(OutboundMessage.id))
                    )
                    return SimulatedReply(200, list(rows.scalars()), True)
            await asyncio.sleep(0.1)
        return SimulatedReply(200, [], False)
    finally:
        await engine.dispose()


def simulate(settings: Settings, from_phone: str, body: str, *, to_phone: str | None = None,
             target: str | None = None, timeout: float = 10.0) -> SimulatedReply:
    return asyncio.run(
        simulate_async(settings, from_phone, body, to_phone=to_phone, target=target, wait_seconds=timeout)
    )
