"""The message catalogue: one JSON file, every key in Arabic and English."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any, Literal

Language = Literal["ar", "en"]
LANGUAGES: tuple[Language, ...] = ("ar", "en")


@lru_cache(maxsize=1)
def catalogue() -> dict[str, dict[str, str]]:
    text = resources.files("tansiq.i18n").joinpath("messages.json").read_text(encoding="utf-8")
    data: dict[str, dict[str, str]] = json.loads(text)
    return data


class _Params(dict[str, Any]):
    """Leave unknown placeholders visible instead of failing on a missing parameter."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def message(key: str, lang: Language, **params: Any) -> str:
    """Render catalogue entry `key` in `lang`; an unknown key renders as itself."""
    entry = catalogue().get(key)
    if entry is None:
        return key
    return entry[lang].format_map(_Params(params))


def label(prefix: str, value: object, lang: Language) -> str:
    """A label such as status.on_scene in `lang`, falling back to the raw value."""
    entry = catalogue().get(f"{prefix}.{value}")
    return entry[lang] if entry else str(value)
