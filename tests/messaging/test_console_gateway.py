"""The console gateway: on the embedded default the whole text is on the console (a newcomer signs
in as a demo patient with the code it shows); otherwise only the purpose, masked number and length."""

from __future__ import annotations

import logging

import pytest

from companion.messaging.gateways import ConsoleGateway, OutgoingSms, TwilioGateway, create_gateway
from companion.settings import Settings

SMS = OutgoingSms(message_id=7, to="+12025550101", body="Your sign-in code is 482913", purpose="otp")
KEY = "console-test-secret-key-0123456789-abcdef"


@pytest.mark.parametrize(
    ("show_bodies", "shown"),
    [(True, True), (False, False)],
)
async def test_the_text_is_on_the_console_only_when_asked(
    show_bodies: bool, shown: bool, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        await ConsoleGateway(show_bodies=show_bodies).send(SMS)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert ("482913" in logged) is shown
    assert "+12025550101" not in logged  # the number is masked either way
    assert "otp" in logged


@pytest.mark.parametrize(
    ("settings", "kind", "shows"),
    [
        (Settings(database_url="sqlite+aiosqlite:///x.db", secret_key=KEY), ConsoleGateway, True),
        (Settings(database_url="postgresql+asyncpg://u@h/db", secret_key=KEY), ConsoleGateway, False),
        (Settings(database_url="sqlite+aiosqlite:///x.db", secret_key=KEY, twilio_account_sid="AC" + "1" * 32,
                  twilio_auth_token="t" * 32, twilio_from_number="+15005550006"), TwilioGateway, None),
    ],
)
async def test_texts_are_shown_on_the_embedded_default_and_never_with_twilio(
    settings: Settings, kind: type, shows: bool | None
) -> None:
    gateway = create_gateway(settings)
    try:
        assert isinstance(gateway, kind)
        if shows is not None:
            assert isinstance(gateway, ConsoleGateway) and gateway.show_bodies is shows
    finally:
        await gateway.close()
