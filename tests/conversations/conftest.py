"""Conversation tests run the SMS path end to end: the real Twilio SDK against the fake Twilio."""

from __future__ import annotations

from tests.messaging.conftest import app, client, dispatcher, gateway, settings, sms

__all__ = ["app", "client", "dispatcher", "gateway", "settings", "sms"]
