"""Search folding: the same Arabic word matches however it was typed.

Operators type names from radio calls and witness reports; the same place or person arrives with
or without diacritics, with decorative tatweel, with any of the alef/hamza forms, with taa marbuta
written as haa, or alef maqsura as yaa. Folding both the stored text and the query to one form
makes a plain substring search find them all. Latin text is case-folded, and Arabic-Indic digits
become ASCII so "٢٠" finds "20".
"""

from __future__ import annotations

import re
import unicodedata

_DIACRITICS = re.compile(
    "[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e8\u06ea-\u06ed]"
)
_TATWEEL = "\u0640"
_TABLE = str.maketrans(
    {
        "\u0622": "\u0627",  # alef with madda above -> alef
        "\u0623": "\u0627",  # alef with hamza above -> alef
        "\u0625": "\u0627",  # alef with hamza below -> alef
        "\u0671": "\u0627",  # alef wasla -> alef
        "\u0624": "\u0648",  # waw with hamza -> waw
        "\u0626": "\u064a",  # yaa with hamza -> yaa
        "\u0649": "\u064a",  # alef maqsura -> yaa
        "\u0629": "\u0647",  # taa marbuta -> haa
        "\u0621": "",  # lone hamza carries no letter of its own in search
        _TATWEEL: "",
        **{chr(0x0660 + d): str(d) for d in range(10)},  # Arabic-Indic digits
        **{chr(0x06F0 + d): str(d) for d in range(10)},  # Extended (Persian) digits
    }
)
_SPACES = re.compile(r"\s+")


def fold(text: str | None) -> str:
    """Return `text` in the folded form used for both stored search text and queries."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text)
    text = _DIACRITICS.sub("", text)
    text = text.translate(_TABLE).casefold()
    return _SPACES.sub(" ", text).strip()


def terms(query: str) -> list[str]:
    """Split a folded query into the terms that must all appear."""
    return [t for t in fold(query).split(" ") if t]
