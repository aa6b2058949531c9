"""One-time sign-in codes for patients. Pure: no I/O.

A code is 6 random digits. Only a keyed hash is stored: HMAC-SHA256 with the secret key over
the phone number and the code, so a copy of the table reveals no usable code and a code sent
to one number is worth nothing for another. The hash is made with the signing key and checked
against every configured key, so a code sent just before a key rotation still works.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence

from companion.auth.tokens import as_keys

CODE_DIGITS = 6
_DOMAIN = b"patient-sign-in-code\x00"


def new_code() -> str:
    """Six digits from the operating system's secure random source, leading zeros kept."""
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def is_code_shaped(value: str) -> bool:
    return len(value) == CODE_DIGITS and value.isascii() and value.isdigit()


def hash_code(key: str, phone: str, code: str) -> str:
    message = _DOMAIN + phone.encode() + b"\x00" + code.encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def code_matches(keys: Sequence[str], phone: str, code: str, code_hash: str | None) -> bool:
    """Compare in constant time with every key; the hashes are computed even when there is
    nothing to compare, and whichever key matches."""
    matches = [hmac.compare_digest(hash_code(key, phone, code), code_hash or "") for key in as_keys(keys)]
    return any(matches) and code_hash is not None


def code_message(code: str, ttl_minutes: int) -> str:
    """The SMS: the code and its lifetime only; nothing that names the clinic or a treatment."""
    return f"Your sign-in code is {code}. It expires in {ttl_minutes} minutes. Do not share it."


def lock_key(scope: str, value: str) -> int:
    """A signed 64-bit key for a PostgreSQL advisory lock on one number or one client address."""
    digest = hashlib.sha256(f"patient-sign-in:{scope}:{value}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)
