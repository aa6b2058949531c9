"""GSM-7 lengths: what fits in one SMS segment, and the check every SMS wording of an instrument passes."""

from __future__ import annotations

__all__ = ["GSM7_BASIC", "GSM7_EXTENDED", "SMS_MAX_CHARS", "gsm7_length"]

#: A prompt must fit in one SMS segment: strictly fewer than this many GSM-7 characters.
SMS_MAX_CHARS = 160

# GSM 03.38 default alphabet; characters of the extension table cost two septets each.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = frozenset("\f^{}\\[~]|€")


def gsm7_length(text: str) -> int | None:
    """Length of `text` in GSM-7 septets, or None if it holds a character outside GSM-7."""
    length = 0
    for char in text:
        if char in GSM7_BASIC:
            length += 1
        elif char in GSM7_EXTENDED:
            length += 2
        else:
            return None
    return length


def _check_sms_text(text: str, what: str) -> None:
    length = gsm7_length(text)
    if length is None:
        raise ValueError(f"{what}: SMS text must use GSM-7 characters only")
    if length >= SMS_MAX_CHARS:
        raise ValueError(f"{what}: SMS text is {length} characters; it must be under {SMS_MAX_CHARS}")
    if not text.strip():
        raise ValueError(f"{what}: SMS text must not be empty")
