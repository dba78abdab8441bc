"""Road-network errors: a :class:`~tansiq.errors.Problem`, so the API answers them as
problem+json and the CLI prints the same catalogue text in English and Arabic."""

from __future__ import annotations

from typing import Any

from tansiq.errors import Problem

__all__ = ["RoadsError"]

# Bad input is 422; no network loaded is the server's state, not the caller's fault.
_STATUS = {"roads_not_loaded": 503, "roads_network_unreadable": 503}


class RoadsError(Problem):
    """A file, point or stored network the road engine cannot work with."""

    def __init__(self, code: str, /, **params: Any) -> None:
        super().__init__(_STATUS.get(code, 422), code, **params)

    def bilingual(self) -> str:
        return f"{self.detail('en')}\n{self.detail('ar')}"
