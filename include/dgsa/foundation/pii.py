"""Personal data: citizen IDs leave the restricted schemas only as a keyed hash or masked."""
from __future__ import annotations

import hmac
import re


def person_key(citizen_id: str, secret: bytes) -> str:
    """Stable keyed hash (HMAC-SHA256, hex, 32 chars) of a 13-digit citizen ID."""
    return hmac.digest(secret, citizen_id.encode(), "sha256").hex()[:32]   # one-shot: no HMAC object per ID


def mask_citizen_id(value: str | None) -> str | None:
    """Only the last 3 digits stay visible: x-xxxx-xxxxx-45-6. Anything else is x'ed out
    character by character except its last 3 characters (for raw values in rejections)."""
    if value is None:
        return None
    text = str(value)
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) == 13:
        return f"x-xxxx-xxxxx-{digits[10:12]}-{digits[12]}"
    if len(text) <= 3:
        return "x" * len(text)
    return "".join("x" if ch.isalnum() else ch for ch in text[:-3]) + text[-3:]


# 13 digits (Arabic or Thai), alone or grouped with dashes/spaces, not part of a longer number
_CID_IN_TEXT = re.compile(r"(?<![0-9๐-๙])[0-9๐-๙](?:[-\s]?[0-9๐-๙]){12}(?![0-9๐-๙])")


def scrub(text):
    """Mask every citizen ID-shaped run of 13 digits inside free text (workbooks, alerts, logs);
    anything that is not a str is returned as it is."""
    if not isinstance(text, str):
        return text
    return _CID_IN_TEXT.sub(lambda m: mask_citizen_id(m.group(0).translate(_THAI_DIGITS)), text)


_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
