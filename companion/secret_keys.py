"""Where the secret key comes from, and when the companion refuses to start without one.

The secret key signs bearer tokens and check-in links, keys the hashes of patient sign-in codes and,
without Twilio, the console webhook signature: anyone who knows it can read every patient. So there
is no built-in key. ``COMPANION_SECRET_KEY`` holds one key of at least 32 bytes, or several
separated by commas (newest first: the first signs, all verify). Unset, the embedded default (a
SQLite file, outside production) makes a random key on its first run and keeps it in a file beside
the database, readable by its owner only; an in-memory database gets a key for the process. Every
other setup (PostgreSQL, or ``COMPANION_ENVIRONMENT=production``) refuses to start.
"""

from __future__ import annotations

import logging
import os
import secrets
import stat
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from companion.settings import SecretKeyError, Settings, parse_secret_keys

log = logging.getLogger("companion")

MIN_KEY_BYTES = 32
KEY_FILE_SUFFIX = ".secret"
MAKE_A_KEY = 'python -c "import secrets; print(secrets.token_urlsafe(48))"'


def new_key() -> str:
    """64 characters from the operating system's secure random source (48 random bytes)."""
    return secrets.token_urlsafe(48)


def _make_one(where: str) -> str:
    return f"Make one with: {MAKE_A_KEY} and set it in {where}."


def check_keys(keys: tuple[str, ...], source: str = "COMPANION_SECRET_KEY") -> None:
    """Refuse a key shorter than :data:`MIN_KEY_BYTES`; the message names its place, never its value."""
    for position, key in enumerate(keys, start=1):
        size = len(key.encode())
        if size < MIN_KEY_BYTES:
            which = f"key {position} of {len(keys)}" if len(keys) > 1 else "the key"
            raise SecretKeyError(
                f"{source}: {which} is {size} bytes; a secret key needs at least {MIN_KEY_BYTES} bytes. "
                + _make_one("COMPANION_SECRET_KEY")
            )


def key_file_for(database_url: str, suffix: str = KEY_FILE_SUFFIX) -> Path | None:
    """The file that keeps the generated key of a SQLite database: ``<database file>.secret``
    (another ``suffix`` for another key, such as the VAPID key's ``.vapid``). None for an
    in-memory database (its key lives and dies with the process, as its data does)."""
    try:
        url = make_url(database_url)
    except ArgumentError as exc:
        raise SecretKeyError(f"COMPANION_DATABASE_URL is not a database URL: {exc}") from exc
    database = url.database or ""
    if database.startswith("file:"):  # a SQLite URI filename (``?uri=true``)
        database = database.removeprefix("file:")
    if database in ("", ":memory:") or url.query.get("mode") == "memory":
        return None
    return Path(database + suffix)


def _read_key_file(path: Path) -> tuple[str, ...]:
    keys = parse_secret_keys(path.read_text(encoding="utf-8"))
    if not keys:
        raise SecretKeyError(
            f"the key file {path} holds no key; delete it to have a new one made, or set COMPANION_SECRET_KEY"
        )
    check_keys(keys, source=str(path))
    warn_if_readable_by_others(path)
    return keys


def write_once(path: Path, content: str) -> bool:
    """Write ``content`` to ``path`` unless it exists; False when another process made it first.

    The content goes to a private temporary file (created exclusively, mode 0600) that is then
    linked into place, so the file appears whole or not at all and an existing one is never
    replaced. :class:`OSError` when the file cannot be written."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            return False
    finally:
        temporary.unlink(missing_ok=True)
    return True


def warn_if_readable_by_others(path: Path) -> None:
    if stat.S_IMODE(path.stat().st_mode) & 0o077:
        log.warning("the key file %s can be read by other users; restrict it with chmod 600", path)


def load_or_create_key_file(path: Path) -> tuple[str, ...]:
    """The keys kept in ``path``; on the first run, a new random key written there first
    (:func:`write_once`: when two processes start at once, one links its key and the other reads it)."""
    try:
        return _read_key_file(path)
    except FileNotFoundError:
        pass
    key = new_key()
    try:
        if not write_once(path, key + "\n"):
            return _read_key_file(path)  # another process made it first: both use that key
    except OSError as exc:
        raise SecretKeyError(
            f"could not keep a secret key in {path} ({exc.strerror or exc}); " + _make_one("COMPANION_SECRET_KEY")
        ) from exc
    log.info("made a new secret key and kept it in %s", path)
    return (key,)


def missing_key_message(settings: Settings) -> str:
    why = "COMPANION_ENVIRONMENT is production" if settings.is_production else "the database is not SQLite"
    return (
        f"COMPANION_SECRET_KEY is not set, and {why}. The secret key signs sign-in tokens and check-in "
        "links; only the embedded SQLite default outside production makes and keeps its own. "
        + _make_one("COMPANION_SECRET_KEY (several keys separated by commas, newest first, to rotate)")
    )


def with_secret_keys(settings: Settings) -> Settings:
    """The settings with a usable secret key, or :class:`SecretKeyError` saying how to make one.

    Run once at startup (``companion serve``, ``companion jobs``, ``create_app``); the answer
    carries the key, so running it again changes nothing.
    """
    keys = parse_secret_keys(settings.secret_key)
    if keys:
        check_keys(keys)
        return settings
    if not settings.is_sqlite or settings.is_production:
        raise SecretKeyError(missing_key_message(settings))
    path = key_file_for(settings.database_url)
    if path is None:
        log.info("an in-memory database: this process signs with a key of its own")
        keys = (new_key(),)
    else:
        keys = load_or_create_key_file(path)
    return settings.model_copy(update={"secret_key": ",".join(keys)})
