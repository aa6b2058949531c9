"""An invitation goes out by SMS end to end (the real Twilio SDK against the fake Twilio): the member
opens the link in the text they got, sets a password and signs in."""

from __future__ import annotations

import re

import httpx

from jobs import dispatch_outbox
from jobs.context import JobContext
from tests.conftest import World
from tests.fakes.fake_twilio import FakeTwilio
from tests.messaging.conftest import app, client, gateway, settings
from tests.safety.conftest import ctx

__all__ = ["app", "client", "ctx", "gateway", "settings"]

PHONE = "+12025550160"


async def test_the_invitation_sms_carries_a_link_that_sets_the_password(
    client: httpx.AsyncClient, fake: FakeTwilio, ctx: JobContext, world: World,
) -> None:
    clinic = await world.clinic()
    admin = await world.staff(clinic, "admin")
    invited = await client.post("/api/v1/staff/invitations", headers=world.headers(admin),
                                json={"name": "Nurse Kim", "email": "kim@example.org", "phone": PHONE,
                                      "role": "staff"})
    assert invited.status_code == 201, invited.text
    await dispatch_outbox.run(ctx)
    [text] = fake.messages_to(PHONE)
    assert text.body.startswith(f"{clinic.name}: You are invited to the staff dashboard.")
    [link] = re.findall(r"https://\S+", text.body)
    assert link == invited.json()["link"]
    token = link.split("#/setup/", 1)[1]
    done = await client.post("/api/v1/auth/staff/setup", json={"token": token, "password": "my own passphrase"})
    assert done.status_code == 200, done.text
    login = await client.post("/api/v1/auth/staff/login",
                              json={"email": "kim@example.org", "password": "my own passphrase"})
    assert login.status_code == 200 and login.json()["role"] == "staff"
