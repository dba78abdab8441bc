"""The composition root: `create_app(settings)` wires store, bus, hub and routers."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from tansiq import __version__
from tansiq.access.api import router as access_router
from tansiq.access.principals import PrincipalCache
from tansiq.alerts import poller as cap_poller
from tansiq.alerts.api import public_router as cap_router
from tansiq.alerts.api import router as alerts_router
from tansiq.alerts.settings import AlertSettings
from tansiq.analytics.api import router as analytics_router
from tansiq.api import problems
from tansiq.api.middleware import BodyLimitMiddleware, HeadersMiddleware
from tansiq.audit.api import router as audit_router
from tansiq.audit.writer import DeliveryAuditor
from tansiq.config import Settings
from tansiq.dispatch.api import kpi_router
from tansiq.dispatch.api import router as dispatch_router
from tansiq.dispatch.roads import Roads
from tansiq.emergencies.api import campaigns_router
from tansiq.emergencies.api import router as emergencies_router
from tansiq.events.api import router as feed_router
from tansiq.events.bus import EventBus, InProcessBus
from tansiq.events.hub import FeedHub
from tansiq.incidents.api import router as incidents_router
from tansiq.reference.api import router as reference_router
from tansiq.shelters.api import router as shelters_router
from tansiq.store.db import Store
from tansiq.units.api import router as units_router
from tansiq.units.position_writer import PositionWriter
from tansiq.web.api import router as console_router

logger = logging.getLogger("tansiq")

# Extra work to run while the server is up (the demo's live scenario): gets the app, returns a
# coroutine-stopping callable.
Background = Callable[[FastAPI], Any]


def create_app(
    settings: Settings | None = None,
    *,
    bus: EventBus | None = None,
    background: list[Background] | None = None,
) -> FastAPI:
    settings = settings or Settings()
    _ = settings.signing_key  # fail at start, not at the first login, if the secret is unreadable

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        event_bus = bus or InProcessBus()
        store = Store(settings.effective_database_url, bus=event_bus)
        hub = FeedHub(store, event_bus, settings.effective_feed_poll_seconds)
        auditor = DeliveryAuditor(store)
        principals = PrincipalCache(settings.principal_cache_seconds)
        store.commit_hooks.append(principals.on_events)
        hub.access_listeners.append(principals.on_events)
        app.state.settings, app.state.store, app.state.hub = settings, store, hub
        app.state.principals = principals
        app.state.roads = Roads(store)
        await asyncio.to_thread(app.state.roads.refresh)  # a large network loads before we answer
        app.state.positions = PositionWriter(store, app.state.roads, settings.track_retention_days)
        app.state.auditor = auditor
        await hub.start()
        stoppers = [await start(app) for start in background or []]
        stoppers.append(await cap_poller.start(app))  # only when CAP sources are configured
        try:
            yield
        finally:
            for stop in stoppers:
                await stop()
            await hub.stop()
            await asyncio.to_thread(app.state.positions.close)
            store.dispose()

    app = FastAPI(
        title="Tansiq API",
        version=__version__,
        lifespan=lifespan,
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
        description="Joint operations platform: incidents, units and a live feed. "
        "Errors are RFC 9457 problem+json with English and Arabic messages.",
    )
    app.state.settings = settings
    app.state.alert_settings = AlertSettings()
    problems.install(app)
    for router in (
        access_router,
        reference_router,
        incidents_router,
        dispatch_router,
        kpi_router,
        units_router,
        feed_router,
        audit_router,
        analytics_router,
        emergencies_router,
        campaigns_router,
        shelters_router,
        alerts_router,
        console_router,
        cap_router,  # public: warnings need no sign-in
    ):
        app.include_router(router)

    @app.get("/api/v1/health", tags=["meta"])
    def health() -> dict[str, str]:
        """Liveness for load balancers; says nothing about any record."""
        return {"status": "ok", "version": __version__}

    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(HeadersMiddleware)
    return app
