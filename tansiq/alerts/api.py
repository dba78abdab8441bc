"""Routes: authoring and approving alerts (signed in), importing CAP, and the public feed.

The public router sits outside /api/v1 and asks for no token: warnings are for everyone. It
serves only what was published (the stored, schema-valid documents), never a draft.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from sqlalchemy import func, select

from tansiq.alerts import atom, importer, service
from tansiq.alerts.cap import CAP_MEDIA_TYPE
from tansiq.alerts.models import Alert, AlertState
from tansiq.alerts.schemas import (
    AlertContent,
    AlertCreate,
    AlertPage,
    AlertRead,
    ImportRead,
    RejectRequest,
)
from tansiq.alerts.settings import AlertSettings
from tansiq.api.deps import IfMatch, StoreDep, Who, etag
from tansiq.api.problems import PROBLEM_RESPONSES
from tansiq.errors import Problem
from tansiq.i18n.catalogue import message
from tansiq.schemas import RecordId
from tansiq.store.base import utcnow

router = APIRouter(prefix="/api/v1/alerts", tags=["alerts"], responses=PROBLEM_RESPONSES)
public_router = APIRouter(prefix="/cap", tags=["public alerts"])

XML_TYPES = ("application/cap+xml", "application/xml", "text/xml", "application/atom+xml")
_PROBLEM_DOC: dict[int | str, dict[str, Any]] = {
    code: PROBLEM_RESPONSES[code] for code in (400, 404, 422)
}


def alert_settings(request: Request) -> AlertSettings:
    settings: AlertSettings | None = getattr(request.app.state, "alert_settings", None)
    if settings is None:
        settings = request.app.state.alert_settings = AlertSettings()
    return settings


AlertSettingsDep = Annotated[AlertSettings, Depends(alert_settings)]


def base_url(request: Request, settings: AlertSettings) -> str:
    return settings.public_base_url or str(request.base_url).rstrip("/")


# --- imports (before /{alert_id}, whose path would otherwise take "imports") -------------------


@router.post(
    "/imports",
    response_model=ImportRead,
    status_code=201,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {t: {"schema": {"type": "string"}} for t in XML_TYPES[:3]},
        }
    },
    responses={
        200: {"model": ImportRead, "description": "Imported before; nothing new stored"},
        415: {**PROBLEM_RESPONSES[413], "description": "The body is not an XML document"},
    },
)
async def import_cap(
    request: Request, who: Who, store: StoreDep, settings: AlertSettingsDep, response: Response
) -> ImportRead:
    """Import one CAP 1.2 alert (the XML document as the body) and draft an emergency from it.
    The same message (sender, identifier, sent) imported again answers 200 with the first import.
    """
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in XML_TYPES[:3]:
        raise Problem(415, "unsupported_media_type", expected=", ".join(XML_TYPES[:3]))
    data = await request.body()
    from starlette.concurrency import run_in_threadpool

    result = await run_in_threadpool(importer.import_bytes, store, who, data, "upload", settings)
    if not result.created:
        response.status_code = 200
    return result


@router.get("/imports", response_model=list[ImportRead])
def list_imports(
    who: Who, store: StoreDep, limit: Annotated[int, Query(ge=1, le=500)] = 50
) -> list[ImportRead]:
    """CAP alerts received from outside, newest first."""
    with store.read() as session:
        return importer.recent(session, who, limit)


# --- authoring ---------------------------------------------------------------------------------


@router.post("", response_model=AlertRead, status_code=201)
def create_alert(
    body: AlertCreate, who: Who, store: StoreDep, settings: AlertSettingsDep, request: Request
) -> AlertRead:
    """Write a draft alert (texts in Arabic and English, areas, urgency, severity, certainty).
    An Update or Cancel names the published alert it replaces in `references`."""
    with store.write() as uow:
        alert = service.create(uow, who, body, settings)
        return service.read_one(uow.session, alert, base_url(request, settings))


@router.get("", response_model=AlertPage)
def list_alerts(
    who: Who,
    store: StoreDep,
    settings: AlertSettingsDep,
    request: Request,
    state: Annotated[list[AlertState] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> AlertPage:
    """Your agency's alerts in every state, and every published alert, newest first."""
    with store.read() as session:
        rows, next_cursor = service.search(session, who, state or [], limit=limit, cursor=cursor)
        items = service.to_read(session, rows, base_url(request, settings))
    return AlertPage(items=items, next_cursor=next_cursor)


def _answer(
    store: StoreDep, alert_id: int, request: Request, settings: AlertSettings, response: Response
) -> AlertRead:
    with store.read() as session:
        alert = session.get(Alert, alert_id)
        assert alert is not None
        body = service.read_one(session, alert, base_url(request, settings))
    response.headers["ETag"] = etag(body.version)
    return body


@router.get("/{alert_id}", response_model=AlertRead)
def get_alert(
    alert_id: RecordId,
    who: Who,
    store: StoreDep,
    settings: AlertSettingsDep,
    request: Request,
    response: Response,
) -> AlertRead:
    with store.read() as session:
        service.get_visible(session, who, alert_id)
    return _answer(store, alert_id, request, settings, response)


@router.put("/{alert_id}", response_model=AlertRead)
def edit_alert(
    alert_id: RecordId,
    body: AlertContent,
    who: Who,
    store: StoreDep,
    settings: AlertSettingsDep,
    version: IfMatch,
    request: Request,
    response: Response,
) -> AlertRead:
    """Replace a draft's (or a rejected alert's) content; send If-Match with the ETag."""
    with store.write() as uow:
        service.edit(uow, who, alert_id, body, version)
    return _answer(store, alert_id, request, settings, response)


@router.post("/{alert_id}/submit", response_model=AlertRead)
def submit_alert(
    alert_id: RecordId,
    who: Who,
    store: StoreDep,
    settings: AlertSettingsDep,
    version: IfMatch,
    request: Request,
    response: Response,
) -> AlertRead:
    """Send a draft to a supervisor for approval."""
    with store.write() as uow:
        service.submit(uow, who, alert_id, version)
    return _answer(store, alert_id, request, settings, response)


@router.post("/{alert_id}/approve", response_model=AlertRead)
def approve_alert(
    alert_id: RecordId,
    who: Who,
    store: StoreDep,
    settings: AlertSettingsDep,
    version: IfMatch,
    request: Request,
    response: Response,
) -> AlertRead:
    """Approve and publish (supervisors; not the alert's author or submitter). The CAP document
    is validated against the CAP 1.2 schema first: if it fails, nothing changes."""
    with store.write() as uow:
        service.approve(uow, who, alert_id, settings, version)
    return _answer(store, alert_id, request, settings, response)


@router.post("/{alert_id}/reject", response_model=AlertRead)
def reject_alert(
    alert_id: RecordId,
    body: RejectRequest,
    who: Who,
    store: StoreDep,
    settings: AlertSettingsDep,
    version: IfMatch,
    request: Request,
    response: Response,
) -> AlertRead:
    """Send a pending alert back to its author with a reason."""
    with store.write() as uow:
        service.reject(uow, who, alert_id, body.reason, version)
    return _answer(store, alert_id, request, settings, response)


# --- public ------------------------------------------------------------------------------------

Identifier = Annotated[str, Path(min_length=1, max_length=160, pattern=r"^[A-Za-z0-9._@-]+$")]


@public_router.get(
    "/alerts.atom",
    response_class=Response,
    responses={
        200: {"content": {atom.ATOM_MEDIA_TYPE: {"schema": {"type": "string"}}}},
    },
)
def feed(store: StoreDep, settings: AlertSettingsDep, request: Request) -> Response:
    """Alerts in force as an Atom feed; each entry links to its CAP 1.2 document. No sign-in."""
    base = base_url(request, settings)
    now = utcnow()
    with store.read() as session:
        rows = service.in_force(session, now, settings.feed_size)
        latest = session.execute(
            select(func.max(Alert.sent_at)).where(Alert.state == AlertState.PUBLISHED)
        ).scalar_one_or_none()
    entries = []
    for alert in rows:
        content = AlertContent.model_validate(alert.content)
        assert alert.sent_at is not None
        entries.append(
            atom.Entry(
                identifier=alert.identifier,
                url=service.public_url(base, alert.identifier),
                sent=alert.sent_at,
                title_ar=content.ar.headline or content.ar.event,
                title_en=content.en.headline or content.en.event,
                summary_en=content.en.description,
                msg_type=alert.msg_type,
            )
        )
    body = atom.build(
        feed_id=f"urn:tansiq:alerts:{settings.sender}",
        self_url=f"{base}/cap/alerts.atom",
        title=f"{message('alerts.feed_title', 'ar')} | {message('alerts.feed_title', 'en')}",
        author=f"{settings.sender_name_ar} | {settings.sender_name_en}",
        updated=latest or now,
        entries=entries,
    )
    return Response(
        body,
        media_type=atom.ATOM_MEDIA_TYPE,
        headers={"Cache-Control": "public, max-age=60"},
    )


@public_router.get(
    "/alerts/{identifier}.xml",
    response_class=Response,
    responses={
        200: {"content": {CAP_MEDIA_TYPE: {"schema": {"type": "string"}}}},
        **_PROBLEM_DOC,
    },
)
def document(identifier: Identifier, store: StoreDep) -> Response:
    """One published alert as its CAP 1.2 document, as it was published. No sign-in."""
    with store.read() as session:
        text = service.published_document(session, identifier)
    if text is None:
        raise Problem(404, "not_found")
    return Response(
        text.encode("utf-8"),
        media_type=CAP_MEDIA_TYPE,
        headers={"Cache-Control": "public, max-age=300"},
    )
