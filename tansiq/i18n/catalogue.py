"""The message catalogue: every key in Arabic and English.

The core's messages live in `messages.json`; each later domain keeps its own file under
`messages/` (alerts.json, console.json, ...) so that domains grow without editing one shared file.
A key defined twice is a mistake and fails at load rather than one silently winning.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any, Literal

Language = Literal["ar", "en"]
LANGUAGES: tuple[Language, ...] = ("ar", "en")


@lru_cache(maxsize=1)
def catalogue() -> dict[str, dict[str, str]]:
    return load(resources.files("tansiq.i18n"))


def load(root: Traversable) -> dict[str, dict[str, str]]:
    """Merge `messages.json` and `messages/*.json` under `root`."""
    files = [root.joinpath("messages.json")]
    domain_dir = root.joinpath("messages")
    if domain_dir.is_dir():
        files += sorted(
            (f for f in domain_dir.iterdir() if f.name.endswith(".json")), key=lambda f: f.name
        )
    data: dict[str, dict[str, str]] = {}
    for file in files:
        part: dict[str, dict[str, str]] = json.loads(file.read_text(encoding="utf-8"))
        clash = sorted(data.keys() & part.keys())
        if clash:
            raise ValueError(f"message keys defined twice ({file.name}): {', '.join(clash)}")
        data.update(part)
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
