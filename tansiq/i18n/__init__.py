"""Every user-facing string in Arabic and English, from one catalogue."""

from tansiq.i18n.catalogue import LANGUAGES, Language, catalogue, message
from tansiq.i18n.folding import fold

__all__ = ["LANGUAGES", "Language", "catalogue", "fold", "message"]
