"""Text as every stage compares it: clean cell text (invisible characters dropped, spaces
folded) and the matching key (Thai digits as Arabic, case-folded, no spaces or punctuation)."""
from __future__ import annotations

import re
import unicodedata

THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\ufeff\u00ad"), None)
_SPACES = re.compile(r"\s+")


def text(value) -> str | None:
    """Cell as clean text: Thai digits kept, invisible characters dropped, spaces folded.
    None for empty."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    s = unicodedata.normalize("NFC", str(value)).translate(_INVISIBLE)
    s = _SPACES.sub(" ", s).strip()
    return s or None


def key(value) -> str:
    """Matching key: Thai digits as Arabic, lower case, no spaces or punctuation."""
    s = text(value) or ""
    s = s.translate(THAI_DIGITS).casefold()
    return "".join(ch for ch in s if ch.isalnum() or unicodedata.category(ch).startswith("M"))


def norm_header(value) -> str:
    """A header cell or alias as it is matched (the key)."""
    return key(value)
