"""Post a correctly signed inbound SMS to a running companion, as Twilio would."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from xml.etree import ElementTree

import httpx

from companion.messaging.gateways import INBOUND_PATH
from companion.messaging.signatures import sign
from companion.settings import Settings


@dataclass(frozen=True)
class SimulatedReply:
    status_code: int
    replies: list[str]


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


def simulate(settings: Settings, from_phone: str, body: str, *, to_phone: str | None = None,
             target: str | None = None, timeout: float = 10.0) -> SimulatedReply:
    """Sign over the public URL (what Twilio would call) and post to ``target`` (default: that URL)."""
    public = settings.public_base_url.rstrip("/") + INBOUND_PATH
    params = build_params(settings, from_phone, to_phone or settings.twilio_from_number or "+15005550006", body)
    url = (target.rstrip("/") + INBOUND_PATH) if target else public
    response = httpx.post(url, data=params, headers={"X-Twilio-Signature": sign(settings, public, params)},
                          timeout=timeout)
    replies: list[str] = []
    if response.status_code == 200 and response.text.strip():
        root = ElementTree.fromstring(response.text)
        replies = [element.text or "" for element in root.iter("Message")]
    return SimulatedReply(response.status_code, replies)
