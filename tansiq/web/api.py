"""Routes of the console: its page, its static files, its messages and its basemap.

The page and its assets are public (they hold no record); everything they show comes from the
authenticated API. Console pages get a same-origin Content-Security-Policy: scripts, styles,
images, fonts and connections (the feed's WebSocket included) only from this server.
"""

from __future__ import annotations

import asyncio
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, JSONResponse, Response

from tansiq.api.deps import Who
from tansiq.api.problems import PROBLEM_RESPONSES
from tansiq.errors import Problem, not_found
from tansiq.i18n.catalogue import LANGUAGES, Language, catalogue
from tansiq.incidents.search import parse_bbox
from tansiq.web import basemap

CONSOLE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; manifest-src 'self'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
PAGE_HEADERS = {"Content-Security-Policy": CONSOLE_CSP, "Cache-Control": "no-cache"}
ASSET_HEADERS = {"Content-Security-Policy": CONSOLE_CSP, "Cache-Control": "no-cache"}

router = APIRouter(responses=PROBLEM_RESPONSES)
API = "/api/v1/console"
GEOJSON = "application/geo+json"
_GEOJSON_OK: dict[int | str, dict[str, Any]] = {
    200: {"description": "A GeoJSON FeatureCollection", "content": {GEOJSON: {}}}
}


def static_root() -> Path:
    return Path(str(resources.files("tansiq.web").joinpath("static")))


@router.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)
def console_page() -> FileResponse:
    """The console: one page; it signs in and works through the API and the feed."""
    return FileResponse(static_root() / "index.html", headers=PAGE_HEADERS)


@router.api_route("/static/{path:path}", methods=["GET", "HEAD"], include_in_schema=False)
def static_file(path: str) -> FileResponse:
    """A bundled asset. Paths that leave the static folder, or name nothing, are 404."""
    root = static_root().resolve()
    target = (root / path).resolve()
    if not target.is_relative_to(root) or not target.is_file():
        raise not_found()
    return FileResponse(target, headers=ASSET_HEADERS)


@cache
def _messages(lang: Language) -> dict[str, str]:
    return {key: entry[lang] for key, entry in sorted(catalogue().items())}


@router.get(API + "/messages/{lang}", tags=["console"])
def messages(lang: str) -> JSONResponse:
    """Every catalogue message in one language: the console's labels and the API's errors are
    the same entries. Public, since the sign-in page needs them before anyone is signed in."""
    if lang not in LANGUAGES:
        raise Problem(404, "console_unknown_language", language=lang[:8])
    language: Language = "ar" if lang == "ar" else "en"
    body: dict[str, Any] = {"lang": language, "dir": "rtl" if language == "ar" else "ltr"}
    body["messages"] = _messages(language)
    return JSONResponse(body, headers={"Cache-Control": "no-cache"})


@router.get(API + "/basemap", tags=["console"], response_class=JSONResponse, responses=_GEOJSON_OK)
async def basemap_outlines(who: Who) -> JSONResponse:
    """Country and coastline outlines (Natural Earth, shipped with an installed package)."""
    body = await asyncio.to_thread(basemap.outlines)
    return JSONResponse(body, media_type=GEOJSON)


@router.get(API + "/roads", tags=["console"], response_class=JSONResponse, responses=_GEOJSON_OK)
async def basemap_roads(
    who: Who,
    request: Request,
    bbox: Annotated[str, Query(description="min_lon,min_lat,max_lon,max_lat", max_length=200)],
    limit: Annotated[int, Query(ge=1, le=basemap.ROADS_MAX)] = basemap.ROADS_MAX,
) -> Response:
    """The imported road network's links in the view, longest first past `limit`."""
    box = parse_bbox(bbox)
    if box is None or box[0] > box[2]:
        raise Problem(400, "invalid_bbox")
    router_ = request.app.state.roads.current()
    net = router_.network if router_ is not None else None
    body: dict[str, Any] = await asyncio.to_thread(basemap.roads, net, box, limit)
    return JSONResponse(body, media_type=GEOJSON)
