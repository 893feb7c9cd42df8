"""Personal data: citizen IDs leave the restricted schemas only as a keyed hash or masked."""
from __future__ import annotations

import hashlib
import hmac


def person_key(citizen_id: str, secret: bytes) -> str:
    """Stable keyed hash (HMAC-SHA256, hex, 32 chars) of a 13-digit citizen ID."""
    return hmac.new(secret, citizen_id.encode(), hashlib.sha256).hexdigest()[:32]


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
