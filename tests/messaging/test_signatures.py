from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from companion.messaging import signatures
from companion.models import InboundMessage
from companion.settings import Settings
from tests.conftest import World
from tests.fakes.fake_twilio import FakeTwilio
from tests.messaging.conftest import CLINIC_NUMBER, INBOUND_URL


def test_published_twilio_vector() -> None:
    settings = Settings(twilio_auth_token="12345", twilio_account_sid="AC1")
    params = {"CallSid": "CA1234567890ABCDE", "Caller": "+14158675309", "Digits": "1234",
              "From": "+14158675309", "To": "+18005551212"}
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert signatures.sign(settings, url, params) == "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    assert signatures.is_valid(settings, url, params, "RSOYDt4T1cUTdK1PDd93/VVr8B8=")
    assert not signatures.is_valid(settings, url, {**params, "Digits": "1235"}, "RSOYDt4T1cUTdK1PDd93/VVr8B8=")


OLD_KEY, NEW_KEY = "old-console-key-" + "o" * 32, "new-console-key-" + "n" * 32


def test_console_mode_still_has_a_signing_key() -> None:
    a = signatures.webhook_auth_token(Settings(secret_key=OLD_KEY))
    b = signatures.webhook_auth_token(Settings(secret_key=NEW_KEY))
    assert a and b and a != b


def test_console_mode_accepts_a_key_derived_from_any_listed_secret_key() -> None:
    url, params = INBOUND_URL, {"From": "+12025550999", "To": CLINIC_NUMBER, "Body": "hi"}
    before, rotated, dropped = (Settings(secret_key=k) for k in (OLD_KEY, f"{NEW_KEY},{OLD_KEY}", NEW_KEY))
    signed_before = signatures.sign(before, url, params)
    assert signatures.is_valid(rotated, url, params, signed_before)
    assert not signatures.is_valid(dropped, url, params, signed_before)
    # The first key signs.
    assert signatures.sign(rotated, url, params) == signatures.sign(dropped, url, params) != signed_before
    # With Twilio configured only Twilio's token counts, whatever the secret keys.
    twilio = Settings(secret_key=f"{NEW_KEY},{OLD_KEY}", twilio_auth_token="12345", twilio_account_sid="AC1")
    assert signatures.webhook_auth_tokens(twilio) == ("12345",)
    assert not signatures.is_valid(twilio, url, params, signed_before)


async def _stored(session: AsyncSession) -> int:
    return (await session.execute(select(func.count()).select_from(InboundMessage))).scalar_one()


async def test_valid_signature_is_accepted(client: httpx.AsyncClient, fake: FakeTwilio, world: World) -> None:
    response = await fake.asend_inbound(INBOUND_URL, "+12025550999", CLINIC_NUMBER, "hello", client=client)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xml")


@pytest.mark.parametrize("case", ["missing", "wrong_token", "tampered", "wrong_url"])
async def test_bad_signatures_are_refused_and_nothing_is_stored(
    client: httpx.AsyncClient, fake: FakeTwilio, session: AsyncSession, case: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    params = {"MessageSid": "SM" + "a" * 32, "From": "+12025550999", "To": CLINIC_NUMBER, "Body": "secret words",
              "AccountSid": fake.account_sid}
    headers: dict[str, str] = {}
    if case == "wrong_token":
        headers["X-Twilio-Signature"] = FakeTwilio(auth_token="not-the-token").sign(INBOUND_URL, params)
    elif case == "tampered":
        headers["X-Twilio-Signature"] = fake.sign(INBOUND_URL, params)
        params = {**params, "Body": "changed"}
    elif case == "wrong_url":
        headers["X-Twilio-Signature"] = fake.sign("https://elsewhere.example.org/webhooks/twilio/sms", params)
    with caplog.at_level("DEBUG"):
        response = await client.post("/webhooks/twilio/sms", data=params, headers=headers)
    assert response.status_code == 403
    assert await _stored(session) == 0
    assert "secret words" not in caplog.text and "changed" not in caplog.text and "0999" not in caplog.text


async def test_behind_a_proxy_the_public_url_is_what_counts(
    client: httpx.AsyncClient, fake: FakeTwilio, session: AsyncSession
) -> None:
    # Twilio signed the public https URL; the request reaches the app on an internal address.
    response = await fake.asend_inbound(
        INBOUND_URL, "+12025550999", CLINIC_NUMBER, "hi", target="http://companion-internal:8000", client=client,
    )
    assert response.request.url.host == "companion-internal"
    assert response.status_code == 200
    assert await _stored(session) == 1
