"""The VAPID key that signs every web push (docs/push.md), kept as the secret key is.

``COMPANION_VAPID_PRIVATE_KEY`` holds an ECDSA P-256 private key, as PEM or as the raw 32-byte key
in base64url (as ``web-push generate-vapid-keys`` prints it). Unset, the embedded default (a SQLite
file, outside production) makes one on its first run and keeps it beside the database in
``<database file>.vapid`` (PEM, readable by its owner only); an in-memory database gets one for the
process. Every other setup runs without web push: nothing is pushed, and the reminders of patients
who chose the app go by SMS where they consented. The key is never logged; its public half is what
the app subscribes with.
"""

from __future__ import annotations

import base64
import binascii
import logging
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from companion.secret_keys import key_file_for, warn_if_readable_by_others, write_once
from companion.settings import SecretKeyError, Settings

log = logging.getLogger("companion")

VAPID_FILE_SUFFIX = ".vapid"
MAKE_A_VAPID_KEY = "openssl ecparam -name prime256v1 -genkey -noout | openssl pkcs8 -topk8 -nocrypt"
# A subject the push services accept when the public URL is not a plain https origin.
FALLBACK_SUBJECT = "mailto:aftercare@localhost"


class VapidKeyError(SecretKeyError):
    """The VAPID key given cannot be used (the message names its place, never its value); refused
    at startup as a bad secret key is."""


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def b64url_decode(text: str) -> bytes:
    """Base64url with or without padding; :class:`ValueError` for anything else."""
    if not text or any(c not in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=" for c in text):
        raise ValueError("not base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not base64url") from exc


def new_private_key_pem() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def load_private_key(text: str, source: str = "COMPANION_VAPID_PRIVATE_KEY") -> ec.EllipticCurvePrivateKey:
    """The P-256 private key in ``text`` (PEM, or the raw key in base64url)."""
    text = text.strip()
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_private_key(text.encode(), password=None)
        else:
            raw = b64url_decode(text)
            if len(raw) != 32:
                raise ValueError("a raw P-256 key is 32 bytes")
            key = ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())
    except (ValueError, TypeError) as exc:
        raise VapidKeyError(
            f"{source} is not an ECDSA P-256 private key (PEM or base64url). Make one with: {MAKE_A_VAPID_KEY}"
        ) from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise VapidKeyError(f"{source} must be an ECDSA key on the P-256 curve. Make one with: {MAKE_A_VAPID_KEY}")
    return key


def private_key_pem(text: str) -> str:
    """The key in ``text`` as PEM (the one form the signing library is given)."""
    return load_private_key(text).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def public_key_of(text: str) -> str:
    """The public key the app subscribes with (``applicationServerKey``): the uncompressed P-256
    point, 65 bytes, in base64url without padding."""
    point = load_private_key(text).public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return b64url(point)


def subject_for(settings: Settings) -> str:
    """Who the push services may contact about our pushes: the setting, else the public URL's
    origin when it is plain https (no port), else a mailto: the services accept."""
    if settings.vapid_subject:
        return settings.vapid_subject
    parts = urlsplit(settings.public_base_url)
    if parts.scheme == "https" and parts.hostname and parts.port is None:
        return f"https://{parts.hostname}"
    return FALLBACK_SUBJECT


def load_or_create_vapid_file(path: Path) -> str:
    """The key kept in ``path``; on the first run, a new key written there first (once, whole)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        try:
            if write_once(path, new_private_key_pem()):
                log.info("made a new VAPID key for web push and kept it in %s", path)
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise VapidKeyError(
                f"could not keep a VAPID key in {path} ({exc.strerror or exc}); set COMPANION_VAPID_PRIVATE_KEY "
                f"(make one with: {MAKE_A_VAPID_KEY})"
            ) from exc
    load_private_key(text, source=str(path))
    warn_if_readable_by_others(path)
    return text.strip()


def with_vapid_key(settings: Settings) -> Settings:
    """The settings with the VAPID key to push with, or without one (push off) where none is given
    and none may be made. A key that is given but unusable refuses to start (:class:`VapidKeyError`).
    Run once at startup, after the secret key."""
    if settings.vapid_private_key:
        load_private_key(settings.vapid_private_key)
        return settings
    if not settings.is_sqlite or settings.is_production:
        log.info("web push is off: COMPANION_VAPID_PRIVATE_KEY is not set (see docs/push.md)")
        return settings
    path = key_file_for(settings.database_url, VAPID_FILE_SUFFIX)
    text = new_private_key_pem() if path is None else load_or_create_vapid_file(path)
    return settings.model_copy(update={"vapid_private_key": text})
