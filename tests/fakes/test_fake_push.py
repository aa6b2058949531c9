"""The push-service stand-in refuses what a real push service would: it can fail a test."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from py_vapid import Vapid

from companion.messaging.push_gateway import OutgoingPush, WebPushGateway
from companion.messaging.push_policy import payload
from companion.vapid_keys import new_private_key_pem, private_key_pem, public_key_of
from tests.fakes.fake_push import FakePushService, VapidCheckFailed, verify_vapid

KEY = new_private_key_pem()


@pytest.fixture(scope="module")
def service() -> Iterator[FakePushService]:
    fake = FakePushService(expected_key=public_key_of(KEY))
    fake.start()
    yield fake
    fake.stop()


def _push(endpoint: str, p256dh: str, auth: str) -> OutgoingPush:
    return OutgoingPush(1, endpoint, p256dh, auth, payload(title="t", body="b", url="https://x.example/", tag="t"),
                        "t", 60)


async def test_a_push_signed_with_the_expected_key_is_taken_and_decrypted(service: FakePushService) -> None:
    device = service.device()
    gateway = WebPushGateway(KEY, "mailto:care@clinic.example")
    try:
        result = await gateway.send(_push(device.endpoint, device.p256dh, device.subscription()["keys"]["auth"]))
    finally:
        await gateway.close()
    assert result.http_status == 201
    [push] = service.pushes_to(device)
    assert push.payload == {"title": "t", "body": "b", "url": "https://x.example/", "tag": "t"}


async def test_another_key_wrong_keys_and_unknown_endpoints_are_refused(service: FakePushService) -> None:
    device = service.device()
    auth = device.subscription()["keys"]["auth"]
    stranger = WebPushGateway(new_private_key_pem(), "mailto:care@clinic.example")
    ours = WebPushGateway(KEY, "mailto:care@clinic.example")
    other = service.device()
    try:
        assert (await stranger.send(_push(device.endpoint, device.p256dh, auth))).http_status == 403
        # Encrypted for another browser: the device cannot read it.
        assert (await ours.send(_push(device.endpoint, other.p256dh, auth))).http_status == 400
        assert (await ours.send(_push(f"{service.origin}/push/nobody", device.p256dh, auth))).http_status == 404
    finally:
        await stranger.close()
        await ours.close()
    assert [p.refused for p in service.pushes_to(device)] == [
        "signed with another key", "cannot decrypt (ECEException)"]


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"aud": "http://elsewhere.example"}, "aud"),
        ({"exp": int(time.time()) - 10}, "exp"),
        ({"exp": int(time.time()) + 25 * 60 * 60}, "exp"),
    ],
)
def test_the_token_must_name_this_service_and_not_be_stale(claims: dict[str, object], reason: str) -> None:
    vapid = Vapid.from_pem(private_key_pem(KEY).encode())
    base = {"sub": "mailto:care@clinic.example", "aud": "http://127.0.0.1:1", "exp": int(time.time()) + 60}
    header = vapid.sign(base | claims)["Authorization"]
    with pytest.raises(VapidCheckFailed, match=reason):
        verify_vapid(header, audience="http://127.0.0.1:1", expected_key=public_key_of(KEY), now=time.time())
    good = vapid.sign(base)["Authorization"]
    assert verify_vapid(good, audience="http://127.0.0.1:1", expected_key=public_key_of(KEY), now=time.time())["aud"]


def test_a_tampered_token_is_refused() -> None:
    vapid = Vapid.from_pem(private_key_pem(KEY).encode())
    header = vapid.sign({"sub": "mailto:a@b.example", "aud": "http://127.0.0.1:1", "exp": int(time.time()) + 60})[
        "Authorization"]
    scheme, rest = header.split(" ", 1)
    token = rest.split("t=", 1)[1].split(",", 1)[0]
    head, claims, signature = token.split(".")
    forged = header.replace(signature, signature[:-4] + ("AAAA" if signature[-4:] != "AAAA" else "BBBB"))
    with pytest.raises(VapidCheckFailed, match="bad signature"):
        verify_vapid(forged, audience="http://127.0.0.1:1", expected_key=None, now=time.time())
    assert scheme == "vapid" and head and claims
