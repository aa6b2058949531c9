"""Every answer carries a request id: the caller's when it is a sane token, else a new one."""

from __future__ import annotations

import re

import pytest
from httpx import AsyncClient

from companion.observability.request_id import accept_or_generate, current_request_id

GENERATED = re.compile(r"[0-9a-f]{32}")


@pytest.mark.parametrize(
    ("incoming", "kept"),
    [
        ("4bf92f3577b34da6a3ce929d0e0e4736", True),
        ("req-2026.11.27:0001", True),
        ("a", True),
        ("x" * 128, True),
        ("x" * 129, False),
        ("", False),
        (None, False),
        ("two words", False),
        ("line\nbreak", False),
        ("Root=1-5759e988", False),
        ("-leading-dash", False),
        ("caf\u00e9", False),
    ],
)
def test_a_sane_token_is_kept_and_anything_else_replaced(incoming: str | None, kept: bool) -> None:
    result = accept_or_generate(incoming)
    if kept:
        assert result == incoming
    else:
        assert GENERATED.fullmatch(result)


def test_fresh_ids_differ_and_there_is_none_outside_a_request() -> None:
    assert accept_or_generate(None) != accept_or_generate(None)
    assert current_request_id() is None


@pytest.mark.parametrize("path", ["/health", "/api/v1/crisis", "/no/such/page", "/api/v1/patients"])
async def test_every_answer_carries_a_generated_id(client: AsyncClient, path: str) -> None:
    first, second = await client.get(path), await client.get(path)
    assert GENERATED.fullmatch(first.headers["x-request-id"])
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


async def test_the_callers_id_comes_back_and_a_bad_one_is_replaced(client: AsyncClient) -> None:
    kept = await client.get("/health", headers={"X-Request-ID": "lb-7f3a.42"})
    assert kept.headers["x-request-id"] == "lb-7f3a.42"
    replaced = await client.get("/health", headers={"X-Request-ID": "+1 202 555 0142"})
    assert GENERATED.fullmatch(replaced.headers["x-request-id"])
    assert replaced.headers.get_list("x-request-id") == [replaced.headers["x-request-id"]]
