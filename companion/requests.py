"""The request class of the app: a JSON body is measured before it is decoded."""

from __future__ import annotations

from typing import Any

from litestar import Request

from companion.errors import InvalidInput
from companion.validation import MAX_JSON_DEPTH, json_too_deep

TOO_DEEP = f"the JSON body nests more than {MAX_JSON_DEPTH} levels deep"


class CompanionRequest(Request[Any, Any, Any]):
    async def json(self) -> Any:
        """The decoded body; one nested past MAX_JSON_DEPTH is refused as a 400 naming the body,
        before the decoder's recursion gives out on it."""
        if json_too_deep(await self.body()):
            raise InvalidInput(TOO_DEEP, field="body")
        return await super().json()
