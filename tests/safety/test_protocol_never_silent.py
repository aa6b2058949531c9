"""A protocol file edited into something invalid while the companion runs never silences crisis
handling: the last good version stays in use, the error is logged, and /ready says so."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from companion.models import Alert, OutboundMessage
from companion.protocols import DEFAULT_PROTOCOL_FILE
from tests.messaging.conftest import Sms
from tests.safety.conftest import PATIENT_PHONE, Team

PROTOCOL_FILE = Path(tempfile.mkdtemp(prefix="companion-protocol-")) / "clinic.toml"
GOOD = DEFAULT_PROTOCOL_FILE.read_text(encoding="utf-8").replace('version = "default-2026.1"',
                                                                    'version = "north-clinic-1"')


def _write(text: str, mtime: float) -> None:
    PROTOCOL_FILE.write_text(text, encoding="utf-8")
    os.utime(PROTOCOL_FILE, (mtime, mtime))


@pytest.mark.settings(protocol_file=PROTOCOL_FILE)
async def test_a_crisis_sms_after_the_file_broke_is_judged_and_answered_under_the_last_good_version(
    sms: Sms, client: httpx.AsyncClient, team: Team, session: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    assert 'version = "north-clinic-1"' in GOOD
    _write(GOOD, 1_000_000)
    ready = (await client.get("/ready")).json()
    assert ready["protocol"] == "version north-clinic-1 in use"
    _write(GOOD.replace("[[rules]]", "[[rules]\n", 1), 1_000_060)  # an edit that breaks the TOML
    await sms.say(PATIENT_PHONE, "im going to kill myself tonight")
    [alert] = list((await session.execute(select(Alert))).scalars())
    assert (alert.severity, alert.status, alert.protocol_version) == ("urgent", "open", "north-clinic-1")
    replies = (await session.execute(select(OutboundMessage.purpose))).scalars().all()
    assert "safety_reply" in replies and "staff_page" in replies
    assert "is refused" in caplog.text
    response = await client.get("/ready")
    assert response.status_code == 503
    assert response.json()["protocol"].startswith("file refused (not valid TOML")
    assert response.json()["protocol"].endswith("the last good version, north-clinic-1, stays in use")
    _write(GOOD, 1_000_120)  # mended
    assert (await client.get("/ready")).json()["protocol"] == "version north-clinic-1 in use"
