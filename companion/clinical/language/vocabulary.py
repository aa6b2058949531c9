"""The vocabulary (vocabulary.toml): word classes, and frames that compose them into concepts.

A class is a set of words and short phrases ("self_object": myself, my life, it all, ...). A frame
is a concept's shape, written over classes:

    pattern = "<take> ~2 <amount> ~2 <medication>"

``<name>`` is a class (``<a|b>`` either), a bare word is itself (``end|finish`` either), ``?`` after
an element makes it optional and ``~N`` lets up to N other words stand between two elements. A
frame matches inside one sentence. Optional keys: ``stage`` (what the frame itself says of the
act: done, now, about_to, desire, thinking, state), ``strength`` (strong or weak, for
preparation and farewell), ``means`` (the kind of means it names), and ``unless_next`` /
``unless_prev``: a pattern that, found within four words after (before) the match, cancels it
("cut myself" + "shaving").

Loading validates everything: an unknown class, an empty pattern or a bad key names its place.
"""

from __future__ import annotations

import importlib.resources
import re
import tomllib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

__all__ = ["Element", "Frame", "Pattern", "Vocabulary", "VocabularyError", "load_vocabulary"]

STAGES = frozenset({"done", "now", "about_to", "desire", "thinking", "state"})
STRENGTHS = frozenset({"strong", "weak"})
_FRAME_KEYS = frozenset({"concept", "pattern", "stage", "strength", "means", "unless_next", "unless_prev"})
_PIECE = re.compile(r"~\d+|\$|<[a-z_|]+>\??|\([a-z0-9 |]+\)\??|[a-z0-9]+\??")
END = "$"  # the key of the end of a sentence part
NUMBER = "number"  # the class of a count (digits), given by the reader, not the file
DIGIT = "digit"  # any number


class VocabularyError(ValueError):
    """The vocabulary file is not valid; the message names the place."""


@dataclass(frozen=True)
class Element:
    """One position of a pattern: any of ``keys`` (class names, or ``=word`` for a literal)."""

    keys: tuple[str, ...]
    optional: bool = False
    gap_before: int = 0
    # made from ``keys``: the word keys as a set, and whether the end of a part is one of them
    word_keys: frozenset[str] = field(init=False, repr=False, compare=False)
    at_end: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "word_keys", frozenset(k for k in self.keys if k != END))
        object.__setattr__(self, "at_end", END in self.keys)


@dataclass(frozen=True)
class Pattern:
    source: str
    elements: tuple[Element, ...]


@dataclass(frozen=True)
class Frame:
    concept: str
    pattern: Pattern
    stage: str | None = None
    strength: str | None = None
    means: str | None = None
    unless_next: Pattern | None = None
    unless_prev: Pattern | None = None


@dataclass
class PhraseNode:
    """One word of the vocabulary's phrases: the keys of the phrase that ends with it, if one does."""

    keys: frozenset[str] = frozenset()
    next: dict[str, PhraseNode] = field(default_factory=dict)


def _trie(index: Mapping[str, list[tuple[tuple[str, ...], frozenset[str]]]]) -> dict[str, PhraseNode]:
    root: dict[str, PhraseNode] = {}
    for phrases in index.values():
        for phrase, keys in phrases:
            level = root
            node = None
            for word in phrase:
                node = level.setdefault(word, PhraseNode())
                level = node.next
            assert node is not None
            node.keys = keys
    return root


@dataclass
class Vocabulary:
    classes: Mapping[str, frozenset[tuple[str, ...]]]
    frames: Sequence[Frame]
    # first word -> [(phrase, keys it stands for)], longest phrase first
    index: Mapping[str, list[tuple[tuple[str, ...], frozenset[str]]]] = field(default_factory=dict)
    # the same phrases word by word: a word -> (the keys of the phrase that ends there, what may follow)
    trie: Mapping[str, PhraseNode] = field(default_factory=dict)
    _first_words: dict[str, frozenset[str]] = field(default_factory=dict, repr=False)
    _frames_by_first_key: dict[str, tuple[int, ...]] | None = field(default=None, repr=False)

    @property
    def words(self) -> frozenset[str]:
        return frozenset(word for phrases in self.classes.values() for phrase in phrases for word in phrase)

    def phrases(self, name: str) -> frozenset[tuple[str, ...]]:
        return self.classes[name]

    def frames_starting_with(self, keys: Iterable[str]) -> list[Frame]:
        """The frames whose pattern's first position is one of ``keys``, in the vocabulary's order
        (no other frame can match a text where only ``keys`` were found)."""
        if self._frames_by_first_key is None:
            by_key: dict[str, list[int]] = {}
            for index, frame in enumerate(self.frames):
                for key in frame.pattern.elements[0].keys:
                    by_key.setdefault(key, []).append(index)
            self._frames_by_first_key = {key: tuple(found) for key, found in by_key.items()}
        table = self._frames_by_first_key
        indexes = sorted({i for key in keys for i in table.get(key, ())})
        return [self.frames[i] for i in indexes]

    def first_words(self, name: str) -> frozenset[str]:
        """The first word of each phrase of a class (kept once made)."""
        cached = self._first_words.get(name)
        if cached is None:
            cached = self._first_words[name] = frozenset(phrase[0] for phrase in self.classes[name])
        return cached


def _parse_pattern(source: str, classes: Mapping[str, object], where: str) -> Pattern:
    elements: list[Element] = []
    gap = 0
    consumed = "".join(_PIECE.findall(source)).replace(" ", "")
    if consumed != source.replace(" ", ""):
        raise VocabularyError(f"{where}: cannot read the pattern {source!r}")
    for raw in _PIECE.findall(source):
        if raw.startswith("~"):
            if not elements:
                raise VocabularyError(f"{where}: a pattern cannot start with a gap")
            gap = int(raw[1:])
            continue
        optional = raw.endswith("?")
        body = raw.rstrip("?")
        if body == "$":
            keys: tuple[str, ...] = (END,)
        elif body.startswith("<"):
            keys = tuple(body[1:-1].split("|"))
            for name in keys:
                if name not in classes and name not in {NUMBER, DIGIT}:
                    raise VocabularyError(f"{where}: unknown class <{name}>")
        else:
            phrases = body.strip("()").split("|")
            keys = tuple("=" + " ".join(_phrase(p, where)) for p in phrases)
        if (optional or body == "$") and not elements:
            raise VocabularyError(f"{where}: a pattern cannot start with {raw!r}")
        elements.append(Element(keys, optional=optional, gap_before=gap))
        gap = 0
    if not elements:
        raise VocabularyError(f"{where}: empty pattern")
    return Pattern(source, tuple(elements))


def _phrase(text: str, where: str) -> tuple[str, ...]:
    words = tuple(text.split())
    if not words or any(not re.fullmatch(r"[a-z0-9]+", w) for w in words):
        raise VocabularyError(f"{where}: {text!r} must be lower-case words and digits")
    return words


def parse_vocabulary(data: Mapping[str, object]) -> Vocabulary:
    raw_classes = data.get("classes")
    if not isinstance(raw_classes, dict) or not raw_classes:
        raise VocabularyError("[classes] is missing")
    classes: dict[str, frozenset[tuple[str, ...]]] = {}
    for name, entries in raw_classes.items():
        if not isinstance(entries, list) or not entries:
            raise VocabularyError(f"classes.{name}: must be a non-empty list")
        classes[name] = frozenset(_phrase(str(e), f"classes.{name}") for e in entries)
    frames: list[Frame] = []
    raw_frames = data.get("frames")
    if not isinstance(raw_frames, list) or not raw_frames:
        raise VocabularyError("[[frames]] is missing")
    for number, raw in enumerate(raw_frames, start=1):
        where = f"frames[{number}]"
        if not isinstance(raw, dict):
            raise VocabularyError(f"{where}: must be a table")
        unknown = set(raw) - _FRAME_KEYS
        if unknown:
            raise VocabularyError(f"{where}: unknown keys {sorted(unknown)}")
        if "concept" not in raw or "pattern" not in raw:
            raise VocabularyError(f"{where}: needs concept and pattern")
        where = f"{where} ({raw['concept']}: {raw['pattern']!r})"
        if raw.get("stage") is not None and raw["stage"] not in STAGES:
            raise VocabularyError(f"{where}: stage must be one of {sorted(STAGES)}")
        if raw.get("strength") is not None and raw["strength"] not in STRENGTHS:
            raise VocabularyError(f"{where}: strength must be strong or weak")
        frames.append(Frame(
            concept=str(raw["concept"]),
            pattern=_parse_pattern(str(raw["pattern"]), classes, where),
            stage=raw.get("stage"), strength=raw.get("strength"), means=raw.get("means"),
            unless_next=_parse_pattern(raw["unless_next"], classes, where) if raw.get("unless_next") else None,
            unless_prev=_parse_pattern(raw["unless_prev"], classes, where) if raw.get("unless_prev") else None,
        ))
    index: dict[str, dict[tuple[str, ...], set[str]]] = defaultdict(lambda: defaultdict(set))
    for name, phrases in classes.items():
        for phrase in phrases:
            index[phrase[0]][phrase].add(name)
    literals = {key for frame in frames for p in _patterns(frame) for e in p.elements for key in e.keys
                if key.startswith("=")}
    for key in literals:
        phrase = tuple(key[1:].split())
        index[phrase[0]][phrase].add(key)
    flat = {
        first: sorted(((phrase, frozenset(keys)) for phrase, keys in by_phrase.items()), key=lambda p: -len(p[0]))
        for first, by_phrase in index.items()
    }
    return Vocabulary(classes, frames, flat, _trie(flat))


def _patterns(frame: Frame) -> list[Pattern]:
    return [p for p in (frame.pattern, frame.unless_next, frame.unless_prev) if p is not None]


@lru_cache(maxsize=1)
def load_vocabulary() -> Vocabulary:
    """The vocabulary shipped beside this module."""
    text = (importlib.resources.files(__package__) / "vocabulary.toml").read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise VocabularyError(f"vocabulary.toml: {exc}") from exc
    return parse_vocabulary(data)
