"""Frames matched over a text: the words of each class found, and each frame's matches.

A frame matches inside one sentence; ``~N`` lets N other words stand between two elements, ``?``
makes an element optional and ``$`` is the end of a part (or of a sentence, or where a new clause
starts in a message typed without punctuation). ``unless_next`` cancels a match when it is found
within four words after it; ``unless_prev`` when it ends right where the match starts.
"""

from __future__ import annotations

from collections import defaultdict

from companion.clinical.language.normalise import Text
from companion.clinical.language.vocabulary import DIGIT, NUMBER, Element, Frame, Pattern, Vocabulary

__all__ = ["Matcher", "frame_spans"]

UNLESS_WINDOW = 4


class Matcher:
    def __init__(self, text: Text, vocabulary: Vocabulary) -> None:
        self.text = text
        words = text.words
        self.n = len(words)
        self.at: list[dict[str, list[int]]] = [defaultdict(list) for _ in range(self.n)]
        self.by_key: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for i, word in enumerate(words):
            if word.endswith("s") and len(word) > 3 and word not in vocabulary.index:
                # plurals and possessives of a person ("my partners been", "friends")
                singular = vocabulary.index.get(word[:-1], ())
                if any("other_person" in keys for phrase, keys in singular if len(phrase) == 1):
                    self.at[i]["other_person"].append(1)
                    self.by_key["other_person"].append((i, 1))
            for size, keys in _phrases_at(vocabulary, words, text.sentence, i):
                for key in keys:
                    self.at[i][key].append(size)
                    self.by_key[key].append((i, size))
        pills = vocabulary.first_words("medication")
        for i, word in enumerate(words):
            if word.isdigit():
                self.at[i][DIGIT].append(1)
                self.by_key[DIGIT].append((i, 1))
            if word.isdigit() and self._is_count(i, pills):
                self.at[i][NUMBER].append(1)
                self.by_key[NUMBER].append((i, 1))

    def _is_count(self, i: int, pills: frozenset[str]) -> bool:
        """A number counts pills when "x" or "times" comes before it, or a medication right after it
        ("30 trazodone", "15 of my xanax"); a dose ("800 mg"), a duration ("30 day"), a mood or a
        number of 100 or more with no pill word after it is not a count."""
        words, sentence = self.text.words, self.text.sentence
        if i > 0 and words[i - 1] in {"x", "times"} and sentence[i - 1] == sentence[i]:
            return True
        after = [p for p in range(i + 1, min(self.n, i + 6)) if sentence[p] == sentence[i]]
        if not after or "count_unit" in self.at[i + 1] or "not_a_count" in self.at[i + 1]:
            return False
        nxt = words[after[0]]
        pill_noun = nxt in {"pills", "pill", "tablets", "tabs", "capsules", "caps", "pillemoji"}
        if int(words[i]) >= 100 and not pill_noun:
            return False
        if nxt in pills:
            return True
        return nxt == "of" and any(words[p] in pills for p in after[1:])

    def lengths(self, element: Element, pos: int, sentence: int, last: int) -> list[int]:
        out: list[int] = []
        if element.at_end and (pos >= self.n or pos == 0 or self.text.part[pos] != self.text.part[last]
                               or "boundary" in self.at[pos] or "subject" in self.at[pos]):
            # the end of a part; or, where a message has no punctuation, a new clause or subject
            out.append(0)
        if pos < self.n and self.text.sentence[pos] == sentence:
            here = self.at[pos]
            keys = element.word_keys
            for key in (here if len(here) < len(keys) else keys):
                found = here.get(key) if key in keys else None
                if found:
                    out.extend(found)
        if len(out) > 1:
            return sorted(set(out), reverse=True)
        return out

    def match(self, pattern: Pattern, start: int) -> int | None:
        """The end of ``pattern`` matched from ``start``, or None."""
        if start >= self.n:
            return None
        return self._match(pattern.elements, 0, start, self.text.sentence[start], 0, start)

    def _match(self, elements: tuple[Element, ...], k: int, pos: int, sentence: int, carry: int,
               last: int) -> int | None:
        if k == len(elements):
            return pos
        element = elements[k]
        gap = (element.gap_before if k else 0) + carry
        n, sentences, at = self.n, self.text.sentence, self.at
        for skip in range(gap + 1):
            here = pos + skip
            if here > n:
                break
            if here < n and sentences[here] != sentence:
                if element.at_end and skip == 0:  # a sentence's end is a part's end
                    end = self._match(elements, k + 1, here, sentence, 0, last)
                    if end is not None:
                        return end
                break
            if not element.at_end and (here == n or element.word_keys.isdisjoint(at[here])):
                continue  # nothing was found here
            for size in self.lengths(element, here, sentence, max(last, here - 1)):
                end = self._match(elements, k + 1, here + size, sentence, 0, here + size - 1 if size else last)
                if end is not None:
                    return end
        if element.optional:
            return self._match(elements, k + 1, pos, sentence, gap, last)
        return None

    def anchors(self, pattern: Pattern) -> list[int]:
        first = pattern.elements[0]
        return sorted({pos for key in first.keys for pos, _ in self.by_key.get(key, ())})

    def found_near(self, pattern: Pattern, start: int, end: int, after: bool) -> bool:
        if after:
            span = range(end, min(self.n, end + UNLESS_WINDOW))
        else:
            span = range(max(0, start - UNLESS_WINDOW), start)
        for pos in span:
            if self.text.sentence[pos] != self.text.sentence[min(start, self.n - 1)]:
                continue
            found = self.match(pattern, pos)
            if found is not None and (after or found == start):  # what comes before must touch it
                return True
        return False


def _phrases_at(vocabulary: Vocabulary, words: tuple[str, ...], sentence: tuple[int, ...],
                i: int) -> list[tuple[int, frozenset[str]]]:
    """The vocabulary's phrases that start at word ``i`` inside its sentence: (length, keys), longest first."""
    found: list[tuple[int, frozenset[str]]] = []
    level = vocabulary.trie
    j = i
    while j < len(words) and sentence[j] == sentence[i]:
        node = level.get(words[j])
        if node is None:
            break
        j += 1
        if node.keys:
            found.append((j - i, node.keys))
        level = node.next
    found.reverse()
    return found


def frame_spans(matcher: Matcher, frame: Frame,
                cancelled: list[tuple[int, int]] | None = None) -> list[tuple[int, int]]:
    """Where the frame matches; matches its ``unless`` patterns cancel go to ``cancelled``."""
    spans: list[tuple[int, int]] = []
    for start in matcher.anchors(frame.pattern):
        end = matcher.match(frame.pattern, start)
        if end is None or end <= start:
            continue
        if (frame.unless_next is not None and matcher.found_near(frame.unless_next, start, end, after=True)) or (
                frame.unless_prev is not None and matcher.found_near(frame.unless_prev, start, end, after=False)):
            if cancelled is not None:
                cancelled.append((start, end))
            continue
        spans.append((start, end))
    return spans
