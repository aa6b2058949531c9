"""Spelling: which words are English, words run together, and misspellings of the vocabulary.

Three maintained tools do the work:

- symspellpy's shipped English frequency dictionary (82,765 words) says which tokens are ordinary
  words, and its word segmentation splits a run-together token ("iwanttodie" -> "i want to die").
- rapidfuzz finds the vocabulary word nearest an unknown token by optimal string alignment
  distance (a transposition counts once: "sucidal" -> "suicidal", "seroqeul" -> "seroquel").

The dictionary takes about half a second to load; it is loaded once per process, on first use
(the app warms it at start-up so the first webhook does not wait).
"""

from __future__ import annotations

import importlib.resources
import threading
from collections.abc import Iterable
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import OSA
from symspellpy import SymSpell

__all__ = ["Speller"]

_DICTIONARY = "frequency_dictionary_en_82_765.txt"
# Rare dictionary entries that are common misspellings or slang of risk words: never "known", so
# they are compared with the vocabulary instead.
_NOT_WORDS = frozenset({"sucide", "suiside", "sucidal", "overdoes"})
# Contractions typed without their apostrophe are words, not misspellings ("theres" is not "there").
_CONTRACTIONS = frozenset(
    "theres thats whats heres hes shes its lets wheres whos youre theyre weve youve theyve ive id im ill "
    "youd hed shed wed theyd youll shell hell theyll well wont dont doesnt didnt isnt arent wasnt werent "
    "cant couldnt shouldnt wouldnt havent hasnt hadnt aint mustnt neednt mightnt whatre howd howre "
    "whens whys itll thatll thered therell whod whatll yall imma ima gonna wanna gotta kinda sorta".split()
)
_MIN_SEGMENT = 7  # shorter unknown tokens are not split
_MIN_FUZZY = 4  # shorter tokens are never corrected (too many near neighbours)
_TAUGHT_COUNT = 10_000_000  # about as common as "often" in the dictionary

_lock = threading.Lock()
_symspell: SymSpell | None = None


def _load_symspell() -> SymSpell:
    global _symspell
    with _lock:
        if _symspell is None:
            speller = SymSpell(max_dictionary_edit_distance=0, prefix_length=7)
            path = importlib.resources.files("symspellpy") / _DICTIONARY
            with importlib.resources.as_file(path) as file:
                if not speller.load_dictionary(str(file), term_index=0, count_index=1):
                    raise RuntimeError(f"cannot load symspellpy's {_DICTIONARY}")
            _symspell = speller
    return _symspell


class Speller:
    """Spelling against the English dictionary and one vocabulary's words."""

    def __init__(self, vocabulary_words: Iterable[str]) -> None:
        self._vocabulary = frozenset(vocabulary_words)
        self._choices = sorted(w for w in self._vocabulary if len(w) >= _MIN_FUZZY - 1 and w.isalpha())
        self._cache: dict[str, tuple[str, ...]] = {}
        self._taught = False

    def _teach(self) -> None:
        """Segmentation learns the vocabulary's words the dictionary lacks (contractions without their
        apostrophe, "dont", "wasnt"; slang, "kms"; drug names), as common words."""
        if self._taught:
            return
        speller = _load_symspell()
        with _lock:
            for word in self._vocabulary:
                if len(word) >= 3 and word.isalpha() and word not in speller.words:
                    speller.create_dictionary_entry(word, _TAUGHT_COUNT)
            _segment.cache_clear()
            self._taught = True

    @staticmethod
    def warm() -> None:
        _load_symspell()

    def known(self, word: str) -> bool:
        if word in self._vocabulary or word.isdigit() or word in _CONTRACTIONS:
            return True
        if word in _NOT_WORDS:
            return False
        return word in _load_symspell().words

    def correct(self, word: str) -> tuple[str, ...]:
        """The word as one or more known words: itself when known, a vocabulary word within one
        edit (two for eight letters or more), or a run-together token split; else itself."""
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        result = self._correct(word)
        if len(self._cache) < 50_000:
            self._cache[word] = result
        return result

    def _correct(self, word: str) -> tuple[str, ...]:
        if self.known(word) or not word.isalpha():
            return (word,)
        near = self.nearest(word)
        if near is not None:
            return (near,)
        if len(word) >= _MIN_SEGMENT:
            self._teach()
            parts = tuple(_segment(word))
            if len(parts) > 1 and all(self.known(p) for p in parts):
                return tuple(p if self.known(p) else (self.nearest(p) or p) for p in parts)
        return (word,)

    def nearest(self, word: str) -> str | None:
        """The vocabulary word nearest ``word`` within the allowed distance, if any."""
        if len(word) < _MIN_FUZZY:
            return None
        limit = 1 if len(word) < 8 else 2
        found = process.extract(word, self._choices, scorer=OSA.distance, score_cutoff=limit, limit=8)
        if not found:
            return None
        # nearest first; between equals, the one of the same length (a transposition, "statring")
        return min(found, key=lambda f: (f[1], abs(len(f[0]) - len(word)), f[0]))[0]


@lru_cache(maxsize=8192)
def _segment(word: str) -> list[str]:
    return _load_symspell().word_segmentation(word, max_edit_distance=0).corrected_string.split()
