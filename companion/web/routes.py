"""The patient PWA at / and the staff dashboard at /staff/, served as static files.

Both talk to the companion only through the /api/v1 JSON API."""

from __future__ import annotations

from pathlib import Path

from litestar import Router
from litestar.datastructures import CacheControlHeader
from litestar.static_files import create_static_files_router

STATIC = Path(__file__).parent / "static"


def web_routers() -> list[Router]:
    no_cache = CacheControlHeader(no_cache=True)
    return [
        create_static_files_router(path="/staff", directories=[STATIC / "staff"], html_mode=True, name="staff",
                                   cache_control=no_cache),
        create_static_files_router(path="/", directories=[STATIC / "app"], html_mode=True, name="app",
                                   cache_control=no_cache),
    ]
