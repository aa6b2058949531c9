"""The answer to an error nobody expected: one log line with the traceback, a 500 naming its id.

Domain errors, conflicts and validation errors have their own handlers and keep their statuses;
this one sees the rest."""

from __future__ import annotations

import logging
from typing import Any

from litestar import MediaType, Request, Response

from companion.observability.request_id import current_request_id

log = logging.getLogger("companion.web")


def unexpected_error(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    request_id = current_request_id()
    # The path, not the URL: a query string can carry a token or a search term.
    log.error("unexpected %s answering %s %s", type(exc).__name__, request.method, request.url.path, exc_info=exc)
    return Response(
        {
            "status_code": 500,
            "detail": "Internal Server Error: something went wrong on our side; quote the request id if you report it",
            "request_id": request_id,
        },
        status_code=500,
        media_type=MediaType.JSON,
    )
