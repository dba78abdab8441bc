"""What every request schema shares: unknown fields refused, text trimmed, no NUL characters.

PostgreSQL text cannot hold U+0000 and SQLite would store it silently; refusing it at the edge
gives the same clear 422 on both instead of a database error on one.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path
from pydantic import BaseModel, ConfigDict, field_validator
from pydantic_core import PydanticCustomError

# Ids are INTEGER columns on both databases: a larger id cannot exist, so it is refused as input.
MAX_ID = 2_147_483_647
RecordId = Annotated[int, Path(ge=1, le=MAX_ID)]


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    return False


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        if _has_nul(value):
            raise PydanticCustomError("nul_character", "must not contain NUL characters")
        return value
