"""Bilingual errors and warnings raised by the analytics engine.

Analysts see these messages in the CLI and, later, in the console, so each carries a stable
machine-readable ``code`` and the same message in English and Arabic.  The engine must not import
the platform's error hierarchy (analytics depends on nothing else in Tansiq), so it has its own.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["AnalyticsError", "AnalyticsWarning", "describe_rows"]


class AnalyticsError(ValueError):
    """An input or option the analytics engine cannot work with.

    Parameters
    ----------
    code : str
        Stable identifier, e.g. ``"unparseable_time"``; tests and API clients match on it.
    message_en, message_ar : str
        The same explanation in English and in Arabic.
    """

    def __init__(self, code: str, message_en: str, message_ar: str) -> None:
        super().__init__(message_en)
        self.code = code
        self.message_en = message_en
        self.message_ar = message_ar

    def __str__(self) -> str:
        return f"[{self.code}] {self.message_en} / {self.message_ar}"


class AnalyticsWarning(UserWarning):
    """A documented assumption the engine made about the input (e.g. the time zone)."""

    def __init__(self, code: str, message_en: str, message_ar: str) -> None:
        super().__init__(f"[{code}] {message_en} / {message_ar}")
        self.code = code
        self.message_en = message_en
        self.message_ar = message_ar


def describe_rows(labels: Sequence[object], limit: int = 10) -> str:
    """Name offending rows compactly: the first ``limit`` labels and how many there are."""
    shown = ", ".join(str(label) for label in list(labels)[:limit])
    more = len(labels) - limit
    suffix = f" (+{more} more)" if more > 0 else ""
    return f"{len(labels)} row(s): {shown}{suffix}"
