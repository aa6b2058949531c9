"""Concepts found in a text: every frame of the vocabulary that matches, as a Mention with what
its sentence says about it.

For each mention the reader settles:

- who it is about: a reflexive in it decides ("myself", "himself"); else a first-person word in it
  ("better off without me"); else the nearest person before it in the sentence ("my friend wants to
  die" is about the friend, "my friend's death makes me want to die" about the writer); with no
  person at all it is implied to be the writer ("took 30 trazodone").
- negation: the nearest negator before it in its part of the sentence, up to a boundary (a
  conjunction or a new subject: "im not ok and i want to die" is not a denial), unless a double
  negation cancels it ("i cant promise i wont"); "no" before a subject is an interjection; a denial
  just after it ("suicidal thoughts: none"); candid phrases ("not gonna lie") and "cant stop" deny
  nothing; a goodbye is never denied.
- reported speech (a question someone asked), a hypothetical ("if i ever feel suicidal i will
  call"), media and work (a documentary about suicide), unless the writer affirms it after.
- time: the nearest recent or long-past marker in its sentence or the next, and a resolution
  ("not anymore", "clean for 5 years").
- stage: the frame's own, else the nearest modality before it (about to, desire, thinking), else
  the tense of its verb (done, now).
- a qualifier anywhere near ("no plan", "not going to act on it").
"""

from __future__ import annotations

from dataclasses import dataclass

from companion.clinical.language.matcher import Matcher, frame_spans
from companion.clinical.language.normalise import Text
from companion.clinical.language.vocabulary import DIGIT, NUMBER, Frame, Vocabulary

__all__ = ["Mention", "Reading", "read"]

_LOOKBACK = 6
_NEGATION_REACH = 8
_LAST_PAST_YEAR = 2025  # a year up to this one, named, is the past
# How far back a person, a reported question or a hypothetical reaches, sentence or not: a message
# typed without punctuation reads as one sentence.
_REACH = 12  # "i havent had any thoughts of self harm or suicide"
# Only words that can name an event or a topic are read as media or work ("a documentary about
# suicide", "two overdose calls tonight"); an act or a means in the first person never is.
_MEDIA_CONCEPTS = frozenset({"suicidal", "attempt", "overdose", "research"})
_MEANS_CLASSES = ("medication", "weapon", "ligature", "poison", "sh_tool")
_PREPOSITIONS = frozenset({"at", "in", "from", "of", "to", "with", "for", "on", "near", "by"})
_AUXILIARIES = frozenset({"would", "will", "could", "did", "do", "should", "can", "shall"})
_SAYING = frozenset({"told", "tell", "said", "say", "texted", "text", "wrote", "write", "typed", "messaged", "asked",
                     "yelled", "screamed", "posted"})
_ADDRESSEE = frozenset({"you", "u", "ur", "youre", "yall", "guys"})
# A goodbye is not denied by a "won't" before it ("i won't need another appointment, thank you for
# everything, goodbye"); it is addressed to others, so "yourselves" does not make it theirs.
_UNDENIABLE = frozenset({"farewell"})
# a means that is "gone" was used up, not denied
_TAKEN_WHEN_GONE = frozenset({"means", "overdose"})


@dataclass(frozen=True)
class Mention:
    concept: str
    start: int
    end: int
    words: str
    frame: Frame
    person: str  # self | other | implied
    negated: bool = False
    inner_denial: bool = False
    reported: bool = False
    hypothetical: bool = False
    media: bool = False
    time: str | None = None  # recent | past
    resolved: bool = False  # said to be over ("clean for 5 years") or a past against a present
    relapsed: bool = False  # "relapsed", "again", "2 years clean down the drain" near it
    qualified: bool = False
    stage: str | None = None
    amount: int | None = None  # the largest count in it
    large_words: bool = False  # an amount in words ("the whole bottle", "all my")


@dataclass(frozen=True)
class Reading:
    text: Text
    mentions: tuple[Mention, ...]
    tags: dict[str, list[tuple[int, int]]]  # key -> [(position, length)]
    cancelled: tuple[tuple[int, int], ...] = ()  # frame matches their unless patterns cancelled

    def placed_harmless(self) -> bool:
        """Whether risk words in the text were placed as harmless: a match its context cancels
        ("cut myself" + "shaving"), a figure of speech or an aftercare experience."""
        return bool(self.cancelled) or any(m.concept in {"figurative", "experience"} for m in self.mentions)

    def has(self, key: str, start: int = 0, end: int | None = None) -> bool:
        stop = len(self.text.words) if end is None else end
        return any(start <= pos < stop for pos, _ in self.tags.get(key, ()))


class _Context:
    """What the words around a mention say about it."""

    def __init__(self, matcher: Matcher) -> None:
        self.m = matcher
        self.text = matcher.text
        self.candid = {pos + d for key in ("candid", "not_negation") for pos, size in matcher.by_key.get(key, ())
                       for d in range(size)}
        # where each word's sentence starts and ends
        sentence = self.text.sentence
        self._first = [0] * matcher.n
        self._last = [0] * matcher.n
        for pos in range(1, matcher.n):
            self._first[pos] = self._first[pos - 1] if sentence[pos] == sentence[pos - 1] else pos
        for pos in range(matcher.n - 1, -1, -1):
            self._last[pos] = pos if pos + 1 == matcher.n or sentence[pos + 1] != sentence[pos] else self._last[pos + 1]

    def keys_at(self, pos: int) -> dict[str, list[int]]:
        return self.m.at[pos] if pos not in self.candid else {}

    def sentence_span(self, pos: int, extra_after: int = 0) -> range:
        sentence = self.text.sentence
        last = sentence[pos] + extra_after  # the sentences numbered up to it
        hi = self._last[pos]
        while hi + 1 < self.m.n and sentence[hi + 1] <= last:
            hi = self._last[hi + 1]
        return range(self._first[pos], hi + 1)

    def any_key(self, keys: tuple[str, ...], span: range) -> int | None:
        """The first position in ``span`` where one of ``keys`` was found (outside candid words)."""
        first: int | None = None
        for key in keys:
            for pos, _ in self.m.by_key.get(key, ()):
                if pos in span and pos not in self.candid and (first is None or pos < first):
                    first = pos
        return first

    def person(self, start: int, end: int, concept: str = "") -> str:
        """Who it is about; words someone is quoted as saying are theirs ('she said "i want to die"')."""
        if concept in _UNDENIABLE:
            # the writer named inside a goodbye says it, whoever came before ("so shes taken care of after im gone")
            if self.any_key(("self",), range(start, end)) is not None:
                return "self"
            return self._speaker(start)
        quoted = self.text.quote_start(start)
        if self.text.quote and self.text.quote[start] and not self._writer_says(quoted):
            speaker = self._person(quoted, quoted)  # inside a quote, from its first word on
            if speaker == "other":
                return "other"
        return self._person(start, end)

    def _writer_says(self, quoted: int) -> bool:
        """The writer is the one quoted: "i told my therapist 'i want to die'"."""
        words = self.text.words
        lo = max(self.sentence_span(quoted).start, quoted - _REACH)
        return any(words[p] in {"i", "ive", "id"} and words[p + 1] in _SAYING for p in range(lo, quoted - 1))

    def _speaker(self, start: int) -> str:
        """Who says a goodbye: a third person named before it ("my toddler wrote goodbye forever"),
        else the writer; "you" is whom it is said to."""
        for pos in range(start - 1, max(self.sentence_span(start).start, start - _REACH) - 1, -1):
            keys = self.keys_at(pos)
            if "self" in keys:
                return "self"
            if "other_person" in keys and self.text.words[pos] not in _ADDRESSEE:
                return "other"
        return "implied"

    def inner_denial(self, start: int, end: int, thought: bool = False) -> bool:
        """A denial inside the match itself ("im not at the edge", "have no plan"); for a thought,
        only one that denies the thinking ("i dont even think about it", not "didnt do anything,
        just thinking about it")."""
        for pos in range(start + 1, end):
            if "negator" not in self.keys_at(pos):
                continue
            if not thought or any("thinking" in self.keys_at(p) for p in range(pos + 1, min(end, pos + 3))):
                return True
        return False

    def _person(self, start: int, end: int) -> str:
        inside = range(start, end)
        if self.any_key(("other_reflexive",), inside) is not None:
            return "other"
        if self.any_key(("self_reflexive", "self"), inside) is not None:
            return "self"
        asked = False
        for pos in range(start - 1, max(self.sentence_span(start).start, start - _REACH) - 1, -1):
            keys = self.keys_at(pos)
            if "self" in keys:
                if self.text.words[pos] in {"my", "mine"} and pos > 0 and self.text.words[pos - 1] in _PREPOSITIONS:
                    continue  # "a guy at my work": a place of the writer's, not the writer as subject
                return "self"
            if "reported" in keys:
                asked = True  # whoever asked is not whom it is about: "the psychiatrist asked about past attempts"
            if ("other_person" in keys or "other_reflexive" in keys) and not asked:
                if pos == start - 1 and "other_reflexive" not in keys and \
                        any(k in self.keys_at(start) for k in _MEANS_CLASSES):
                    continue  # a possessor, not a subject: "dads gun", "my husbands oxycodone"
                return "other"
        return "implied"

    def negated(self, start: int, end: int, concept: str = "") -> bool:
        if concept in _UNDENIABLE:
            return False
        count = 0
        part = self.text.part[start]
        pos = start - 1
        steps = 0
        previous_negator = False
        while pos >= 0 and steps < _NEGATION_REACH and self.text.part[pos] == part:
            keys = self.keys_at(pos)
            if "negator" in keys:
                interjection = self.text.words[pos] in {"no", "nope", "nah"} and pos + 1 < start and \
                    "subject" in self.keys_at(pos + 1)
                if not interjection and not previous_negator:
                    count += 1
                    break  # the nearest denial decides ("no harm thoughts, no death thoughts")
                previous_negator = True
                pos -= 1
                steps += 1
                continue
            previous_negator = False
            words = self.text.words
            if "subject" in keys and pos >= 2 and words[pos - 1] in _AUXILIARIES and any(
                    "negator" in self.keys_at(p) for p in range(max(0, pos - 4), pos - 1)):
                count += 1  # an inverted denial: "never ever would i take my own life"
                break
            if "boundary" in keys or "subject" in keys or "other_subject" in keys:
                break
            pos -= 1
            steps += 1
        sentence = self.sentence_span(start)
        if count % 2 and self.any_key(("double_negation",), range(sentence.start, start)) is not None:
            count += 1
        return bool(count % 2) or self._denied_after(end, concept)

    def _denied_after(self, end: int, concept: str = "") -> bool:
        """A denial right after it ("urges are gone", "suicidal thoughts: none"): the next word
        (past "thoughts", "are", ...) in its part, or a part or sentence of one or two words that
        denies ("suicidal? no.") - but not a qualifier ("suicidal thoughts, no plan")."""
        skip = {"thoughts", "thought", "ideation", "is", "are", "have", "has", "urges", "any", "feelings"}
        pos = end
        if pos < self.m.n and self.text.words[pos] in {"or", "nor"}:
            # coordinated with what follows: "thoughts of death or suicide? no"
            pos += 1
            while pos < self.m.n and pos < end + 4 and "post_negator" not in self.keys_at(pos) and \
                    self.text.sentence[pos] == self.text.sentence[end - 1]:
                pos += 1
        while pos < self.m.n and pos < end + 3 and self.text.words[pos] in skip and \
                self.text.part[pos] == self.text.part[end - 1]:
            pos += 1
        if pos >= self.m.n or "post_negator" not in self.keys_at(pos):
            return False
        if concept in _TAKEN_WHEN_GONE and self.text.words[pos] == "gone":
            return False  # pills gone are taken, not denied: "50 ibuprofen gone", "half the bottle is gone"
        following = self.text.words[pos + 1] if pos + 1 < self.m.n else ""
        if following in {"plan", "plans", "intent", "intention", "intentions", "way", "effort", "door", "one"}:
            return False
        if self.text.part[pos] == self.text.part[end - 1]:
            return True
        # a part or sentence that is only a denial: "suicidal thoughts: none", "suicidal? no."
        part = self.text.part[pos]
        rest = [p for p in range(pos, min(self.m.n, pos + 4)) if self.text.part[p] == part]
        return len(rest) <= 2 and all("post_negator" in self.keys_at(p) or self.text.words[p] in skip for p in rest)

    def before_in_sentence(self, key: str, start: int) -> bool:
        lo = max(self.sentence_span(start).start, start - _REACH)
        return self.any_key((key,), range(lo, start)) is not None

    def time(self, start: int) -> str | None:
        """The nearest time marker, preferring one in the mention's own part of the sentence."""
        found = self._time_in(start, self.sentence_span(start, extra_after=1))
        if found is None:  # told in the sentence before: "three years ago I had a date picked. I'd bought the rope"
            first = self.sentence_span(start).start
            if first > 0:
                found = self._time_in(start, self.sentence_span(first - 1))
        return found

    def _time_in(self, start: int, span: range) -> str | None:
        best: tuple[int, int, str] | None = None
        part = self.text.part[start]
        # a word inside a longer mark of the past is not also recent ("a year ago today")
        past = {pos + d for pos, size in self.m.by_key.get("past_far", ()) for d in range(size)}
        near = {pos for key in ("recent", "past_far", DIGIT) for pos, _ in self.m.by_key.get(key, ()) if pos in span}
        for pos in sorted(near):
            keys = self.keys_at(pos)
            word = self.text.words[pos]
            marks = (
                "recent" in keys and pos not in past,
                # a year gone by counts as the past too ("an attempt in 1998")
                "past_far" in keys or (word.isdigit() and len(word) == 4 and 1950 <= int(word) <= _LAST_PAST_YEAR),
            )
            for marked, label in zip(marks, ("recent", "past"), strict=True):
                if marked:
                    rank = (0 if self.text.part[pos] == part else 1, abs(pos - start))
                    if best is None or rank < best[:2]:
                        best = (*rank, label)
        return best[2] if best else None

    def resolved(self, start: int, end: int, sentence: range) -> bool:
        """A resolution in its sentence or the next ("clean for 5 years"), or a past told against a
        present after it ("i used to want to die, now i am planning a trip") - unless the present
        is the past come back ("when i was 22 i tried to hang myself. the same darkness is back now")."""
        if self.any_key(("recurrence",), range(start, self.m.n)) is not None:
            return False
        if any(pos in sentence and pos not in self.candid and not self._negated_word(pos)
               for pos, _ in self.m.by_key.get("resolved", ())):
            return True
        if self.time(start) != "past":
            return False
        return self.any_key(("now_contrast",), range(end, self.m.n)) is not None

    def _negated_word(self, pos: int) -> bool:
        """A negator just before the word, in its part: "not in a good place", "not doing well"
        are no resolution."""
        return any("negator" in self.keys_at(p) and self.text.part[p] == self.text.part[pos]
                   for p in range(max(0, pos - 2), pos))

    def stage(self, frame: Frame, start: int, end: int) -> str | None:
        if frame.stage:
            return frame.stage
        lo = self.sentence_span(start).start
        for pos in range(start - 1, max(lo, start - _LOOKBACK) - 1, -1):
            keys = self.keys_at(pos)
            for key, stage in (("future", "about_to"), ("thinking", "thinking"), ("desire", "desire"),
                               ("attempt_verb", "about_to")):
                if key in keys:
                    return "attempt" if key == "attempt_verb" else stage
        for pos in range(start, end):
            keys = self.keys_at(pos)
            if "done_verb" in keys:
                return "done"
            if "now_verb" in keys:
                return "now"
        return None

    def amount(self, start: int, end: int) -> tuple[int | None, bool]:
        counts = [int(self.text.words[p]) for p in range(start, end) if NUMBER in self.m.at[p]]
        large = self.any_key(("amount",), range(start, end)) is not None
        return (max(counts) if counts else None), large


def read(text: Text, vocabulary: Vocabulary) -> Reading:
    matcher = Matcher(text, vocabulary)
    ctx = _Context(matcher)
    affirmed_after = [pos for pos, _ in matcher.by_key.get("affirm", ())]
    mentions: list[Mention] = []
    cancelled: list[tuple[int, int]] = []
    for frame in vocabulary.frames_starting_with(matcher.by_key):
        for start, end in frame_spans(matcher, frame, cancelled):
            sentence = ctx.sentence_span(start, extra_after=1)
            person = ctx.person(start, end, frame.concept)
            answer = range(end, min(len(text.words), end + _REACH))
            affirmed = any(pos in answer for pos in affirmed_after) and not any(
                pos in answer for pos, _ in matcher.by_key.get("denial_answer", ()))
            amount, large = ctx.amount(start, end)
            mentions.append(Mention(
                concept=frame.concept, start=start, end=end, words=" ".join(text.words[start:end]), frame=frame,
                person=person,
                negated=ctx.negated(start, end, frame.concept),
                inner_denial=ctx.inner_denial(start, end, thought=frame.stage == "thinking"),
                reported=ctx.before_in_sentence("reported", start) and not affirmed,
                hypothetical=ctx.before_in_sentence("hypothetical", start),
                media=person != "self" and frame.concept in _MEDIA_CONCEPTS and ctx.any_key(
                    ("media",), ctx.sentence_span(start)) is not None,
                time=ctx.time(start),
                resolved=ctx.resolved(start, end, sentence),
                relapsed=ctx.any_key(("relapse",), sentence) is not None,
                qualified=ctx.any_key(("qualifier",), sentence) is not None,
                stage=ctx.stage(frame, start, end),
                amount=amount, large_words=large,
            ))
    mentions.sort(key=lambda m: (m.start, m.end))
    return Reading(text, tuple(mentions), dict(matcher.by_key), tuple(cancelled))
