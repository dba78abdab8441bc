"""Errors and the one problem+json envelope (RFC 9457) every failure is answered with.

Services raise `Problem` with a stable `code`; the HTTP layer turns it into a response whose
`title`/`detail` are English and `title_ar`/`detail_ar` Arabic, from the same catalogue the
console uses.
"""

from __future__ import annotations

from typing import Any

from tansiq.i18n.catalogue import catalogue, label, message

PROBLEM_MEDIA_TYPE = "application/problem+json"

_TITLES = {
    400: ("Bad request", "طلب غير صالح"),
    401: ("Not signed in", "لم يتم تسجيل الدخول"),
    403: ("Not permitted", "غير مسموح"),
    404: ("Not found", "غير موجود"),
    405: ("Method not allowed", "طريقة غير مسموحة"),
    409: ("Conflict", "تعارض"),
    412: ("Precondition failed", "فشل الشرط المسبق"),
    413: ("Request too large", "الطلب كبير جداً"),
    415: ("Unsupported media type", "نوع المحتوى غير مدعوم"),
    422: ("Unprocessable request", "تعذّرت معالجة الطلب"),
    429: ("Too many requests", "طلبات كثيرة جداً"),
    500: ("Internal error", "خطأ داخلي"),
}

# Parameters whose values are catalogue labels get an Arabic twin named <param>_ar.
_LABELLED = {"current": "status", "target": "status", "status": "status"}


class Problem(Exception):
    """A failure with an HTTP status and a stable machine-readable code."""

    def __init__(
        self,
        status: int,
        code: str,
        /,
        *,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        label_prefix: str | None = None,
        **params: Any,
    ) -> None:
        self.status = status
        self.code = code
        self.errors = errors
        self.headers = headers or {}
        self.params = dict(params)
        for name, prefix in _LABELLED.items():
            if name in params:
                self.params[f"{name}_ar"] = label(label_prefix or prefix, params[name], "ar")
        super().__init__(self.detail("en"))

    def detail(self, lang: str) -> str:
        return message(f"error.{self.code}", "ar" if lang == "ar" else "en", **self.params)

    def body(self, request_id: str | None = None, instance: str | None = None) -> dict[str, Any]:
        title_en, title_ar = _TITLES.get(self.status, _TITLES[400 if self.status < 500 else 500])
        body: dict[str, Any] = {
            "type": f"urn:tansiq:problem:{self.code}",
            "title": title_en,
            "status": self.status,
            "code": self.code,
            "detail": self.detail("en"),
            "title_ar": title_ar,
            "detail_ar": self.detail("ar"),
        }
        if instance:
            body["instance"] = instance
        if request_id:
            body["request_id"] = request_id
        if self.errors:
            body["errors"] = self.errors
        return body


def field_error(loc: list[str | int], kind: str, **params: Any) -> dict[str, Any]:
    """One entry of a 422's `errors`: the field, the kind, the catalogue's message in both."""
    key = f"validation.{kind}"
    return {
        "loc": loc,
        "type": kind,
        "msg": message(key, "en", **params),
        "msg_ar": message(key, "ar", **params),
    }


def validation_error(err: dict[str, Any]) -> dict[str, Any]:
    """A pydantic error as an entry of a 422's `errors`, with messages in both languages."""
    kind = str(err.get("type", "value_error"))
    ctx = {k: v for k, v in (err.get("ctx") or {}).items() if isinstance(v, str | int | float)}
    key = f"validation.{kind}" if f"validation.{kind}" in catalogue() else "validation.default"
    return {
        "loc": list(err.get("loc", ())),
        "type": kind,
        "msg": message(key, "en", **ctx),
        "msg_ar": message(key, "ar", **ctx),
    }


def field_problem(loc: list[str | int], kind: str, **params: Any) -> Problem:
    """A 422 naming one field, with the catalogue's message for `kind` in both languages."""
    return Problem(422, "validation_failed", errors=[field_error(loc, kind, **params)])


def require_aware(where: str, **values: object) -> None:
    """Refuse times without a zone: an operations room spans zones and clocks."""
    for name, value in values.items():
        if value is not None and getattr(value, "tzinfo", None) is None:
            raise field_problem([where, name], "timezone_aware")


def not_found() -> Problem:
    """The one answer for what does not exist and for what the caller may not see."""
    return Problem(404, "not_found")
