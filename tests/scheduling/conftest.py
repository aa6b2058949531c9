"""Scheduling tests run the SMS path end to end, as the messaging tests do."""

from tests.messaging.conftest import app, client, dispatcher, gateway, settings, sms

__all__ = ["app", "client", "dispatcher", "gateway", "settings", "sms"]
