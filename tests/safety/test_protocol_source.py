"""ProtocolFile: a file re-read when it changes, never replaced by a broken version; a pinned
ProtocolSource; nothing shared between them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from companion.protocols import DEFAULT_PROTOCOL_FILE, ProtocolFile, ProtocolSource, default_protocol

MINIMAL = (Path(__file__).parent / "protocols" / "minimal.toml").read_text()


def _write(path: Path, text: str, mtime: float) -> None:
    path.write_text(text)
    os.utime(path, (mtime, mtime))  # a distinct modification time, however coarse the file system's


def test_a_pinned_protocol_is_the_one_returned() -> None:
    protocol = default_protocol()
    source = ProtocolSource.pinned(protocol)
    assert source.seed() is protocol
    assert source.seed() is protocol
    assert source.status() == (True, f"version {protocol.version} in use")


def test_a_file_is_read_once_and_again_when_it_changes(tmp_path: Path) -> None:
    path = tmp_path / "clinic.toml"
    _write(path, MINIMAL, 1_000_000)
    source = ProtocolFile(path)
    first = source.current()
    assert first.version == "test-1"
    assert source.current() is first  # unchanged file: not parsed again
    _write(path, MINIMAL.replace('version = "test-1"', 'version = "test-2"'), 1_000_060)
    assert source.current().version == "test-2"


def test_a_broken_file_never_replaces_the_last_good_version(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "clinic.toml"
    _write(path, MINIMAL, 1_000_000)
    source = ProtocolFile(str(path))
    good = source.current()
    assert (good.version, source.status()) == ("test-1", (True, "version test-1 in use"))
    _write(path, MINIMAL.replace('version = "test-1"', "version = 7"), 1_000_060)
    for _ in range(2):
        assert source.current() is good
    assert caplog.text.count("is refused") == 1  # once per version of the file, not per message
    ok, line = source.status()
    assert not ok and "version" in line and "the last good version, test-1, stays in use" in line
    _write(path, MINIMAL, 1_000_120)
    assert source.current().version == "test-1" and source.status()[0]
    path.unlink()
    assert source.current() is not None and source.current().version == "test-1"
    assert "cannot read the file" in source.status()[1]


def test_a_file_never_good_leaves_the_built_in_default_in_use(tmp_path: Path) -> None:
    path = tmp_path / "clinic.toml"
    _write(path, "rules = [not toml", 1_000_000)
    source = ProtocolFile(path)
    assert source.current() == default_protocol()
    ok, line = source.status()
    assert not ok and "the built-in default" in line and "not valid TOML" in line
    assert ProtocolFile(tmp_path / "missing.toml").current() == default_protocol()


def test_sources_are_independent(tmp_path: Path) -> None:
    path = tmp_path / "clinic.toml"
    _write(path, MINIMAL, 1_000_000)
    pinned = ProtocolSource.pinned(default_protocol())
    from_file = ProtocolFile(path)
    shipped = ProtocolFile(DEFAULT_PROTOCOL_FILE)
    assert (pinned.seed().version, from_file.current().version) == (default_protocol().version, "test-1")
    assert shipped.current() == default_protocol()


def test_a_source_is_either_pinned_or_stored_with_a_seed_file() -> None:
    with pytest.raises(ValueError, match="either"):
        ProtocolSource()
    with pytest.raises(ValueError, match="either"):
        ProtocolSource(pinned=default_protocol(), seed=ProtocolFile(DEFAULT_PROTOCOL_FILE))
