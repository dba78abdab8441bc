"""The road engine of this server process: loaded from the database, replaced after a re-import.

Building the engine takes a moment on a large network, so it happens at start (before the server
answers) and, after a re-import by any process, in the background: requests keep using the old
network until the new one is ready, and fall back to straight-line estimates only when no
network was ever imported.
"""

from __future__ import annotations

import logging
import threading
import time

from tansiq.roads.engine import Router
from tansiq.roads.errors import RoadsError
from tansiq.roads.storage import load_network, stored_version
from tansiq.store.db import Store

logger = logging.getLogger(__name__)
CHECK_S = 30.0  # how often a request may look whether the stored network changed


class Roads:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.router: Router | None = None
        self.version: tuple[int, str] | None = None
        self._checked = 0.0
        self._loading = threading.Lock()

    def refresh(self) -> None:
        """Load the stored network if it differs from the one in use (blocking)."""
        with self._loading:
            self._checked = time.monotonic()
            version = stored_version(self.store)
            if version == self.version:
                return
            if version is None:
                self.router, self.version = None, None
                return
            try:
                stored = load_network(self.store)
                router = Router(stored.network)
            except RoadsError:
                logger.exception("the stored road network cannot be used")
                return
            self.router, self.version = router, (stored.id, stored.sha256)
            logger.info(
                "road network %s loaded: %d junctions", stored.id, router.network.node_count
            )

    def current(self) -> Router | None:
        """The engine in use; starts a background check for a re-import now and then."""
        if time.monotonic() - self._checked > CHECK_S and not self._loading.locked():
            self._checked = time.monotonic()
            threading.Thread(
                target=self._refresh_quietly, name="roads-refresh", daemon=True
            ).start()
        return self.router

    def _refresh_quietly(self) -> None:
        try:
            self.refresh()
        except Exception:  # the database may be briefly unavailable; the next check retries
            logger.exception("road network check failed")
