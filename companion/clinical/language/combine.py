"""From the concepts a text shows to one risk level, with its evidence.

Mentions covered by a figure of speech or an aftercare experience are dropped. A mention that is
denied, reported, hypothetical or about media is ignored (and shown as ignored). One about another
person, or the writer's resolved past, is a concern: worth a look, not the writer's present risk.
The writer's own mentions combine (docs/risk-language.md):

- intent (urgent): killing oneself stated in any wording (unless qualified "no plan"); a means
  with an act done, in progress, about to or wished ("took 30 trazodone"); a recent attempt;
  being at a means (on the ledge); looking up a lethal dose; preparation; a farewell that closes a
  life; weak signs (a plan, "im doing it tonight", a goodbye, giving things away) next to any other
  risk or to each other.
- self_harm: an act (urgent by default) or thoughts and urges (high).
- passive (high): a wish to be dead, hopelessness, entrapment, burden, wanting it all to stop.
- uncertain (high): what touches a concept but cannot be placed: a means named in the first
  person with distress or a time, thoughts of a method, a lifetime attempt, "not safe".
- concern: another person's risk, the writer's resolved past.
"""

from __future__ import annotations

from collections.abc import Iterable

from companion.clinical.language.concepts import Mention, Reading
from companion.clinical.language.levels import Acuity, RiskAssessment, RiskLevel

__all__ = ["combine", "placed_elsewhere", "reader_context"]

_SUPPRESSORS = frozenset({"figurative", "experience"})
_FEELINGS = {"passive": "passive", "hopeless": "passive", "trapped": "passive", "burden": "passive",
             "want_end": "passive", "unsafe": "uncertain", "help_plea": "uncertain"}
_WEAK = frozenset({"plan", "resolve", "place"})
_ACTING = frozenset({"about_to", "done", "now", "desire", "attempt"})
_LARGE_COUNT = 6
_FILLERS = frozenset({"lol", "lmao", "haha", "sademoji", "like", "and", "a", "the", "of", "too", "plus", "with",
                      "just", "so", "um", "ok", "mood", "x", "all", "my", "i", "im", "its", "it", "now", "done"})
# concepts whose frames hold no denial of their own: one inside the match denies it
_SIGNS = frozenset({"plan", "resolve", "preparation", "research", "at_means", "method", "means", "overdose",
                    "self_harm", "attempt"})
# what a resolution elsewhere in the message cannot make past ("as soon as his car is gone, im doing it")
_ACTS_AND_SIGNS = frozenset({"resolve", "plan", "farewell", "preparation", "research", "at_means"})
_CONTAINERS = frozenset({"sheets", "strips", "bottles", "boxes", "packs", "blister", "packets", "pens"})
_HUGE = frozenset({"whole", "entire", "bottle", "bottles", "handful", "too", "stockpile", "everything", "rest", "pack",
                   "box", "boxes", "packs", "both"})


def _covered(mention: Mention, covers: list[Mention]) -> bool:
    return any(c.start < mention.end and mention.start < c.end for c in covers)


def _large(m: Mention) -> bool:
    if m.large_words or (m.amount is not None and m.amount >= _LARGE_COUNT):
        return True
    # two or more of what holds many ("2 sheets of oxycodone", "3 bottles")
    return m.amount is not None and m.amount >= 2 and bool(_CONTAINERS & set(m.words.split()))


class _Levels:
    def __init__(self) -> None:
        self.found: list[tuple[RiskLevel, bool, str]] = []  # level, act (for self-harm), evidence

    def add(self, level: RiskLevel, m: Mention, note: str = "", act: bool = False) -> None:
        extra = f" ({note})" if note else ""
        self.found.append((level, act, f"{m.concept}: '{m.words}'{extra}"))


def _ignored_reason(m: Mention) -> str | None:
    if m.negated or (m.inner_denial and (m.concept in _SIGNS or m.frame.stage == "thinking")):
        return "denied"
    if m.reported:
        return "reported speech"
    if m.hypothetical and m.concept not in {"farewell", "preparation"}:
        return "hypothetical"
    if m.media:
        return "media or work"
    return None


def _concern(m: Mention) -> bool:
    """Another person's risk, or the writer's own past that the message says is resolved. A means
    that belongs to someone else is still within the writer's reach, so it is never a concern."""
    if m.person == "other":
        return m.frame.means != "a means at hand"
    if m.relapsed or (m.stage in {"about_to", "desire", "now"} and m.time != "past"):
        return False
    if m.concept in _ACTS_AND_SIGNS and m.time != "past":
        return False
    if m.concept == "attempt" or m.stage in {"attempt", "done"}:
        return m.resolved and m.time == "past"  # a past attempt stays a finding unless said to be over
    return m.resolved


def _judge(m: Mention, context: _Context, levels: _Levels) -> None:
    c, stage = m.concept, m.stage
    if c in {"self_kill", "suicidal"}:
        if c == "suicidal" and m.person == "implied" and stage is None and not context.self_near(m):
            levels.add(RiskLevel.uncertain, m, "mentioned")
        elif m.qualified:
            levels.add(RiskLevel.passive, m, "qualified: no plan or intent")
        elif m.time == "past" and stage in {None, "done", "desire", "thinking", "state"}:
            levels.add(RiskLevel.uncertain, m, "in the past")
        else:
            levels.add(RiskLevel.intent, m, stage or "stated")
    elif c == "attempt":
        if m.time == "past" or m.resolved:
            levels.add(RiskLevel.uncertain, m, "attempt long ago")
        else:
            levels.add(RiskLevel.intent, m, "attempt")
    elif c == "overdose":
        strong = _large(m) or m.frame.means in {"poison", "overdose", "medication with alcohol"}
        if not strong:
            if m.amount is not None and m.amount >= 3 and context.distressed(m):
                levels.add(RiskLevel.uncertain, m, "an amount, with distress")
            return
        if context.prescribed(m, act=True) and not context.other_risk(m):
            return
        if (stage == "attempt" or stage == "done") and (m.time == "past" or m.resolved):
            levels.add(RiskLevel.uncertain, m, "attempt long ago")
        elif stage == "thinking":
            levels.add(RiskLevel.uncertain, m, "thoughts of a method")
        else:
            levels.add(RiskLevel.intent, m, stage or "means and an act")
    elif c == "means":
        if context.prescribed(m) and not context.other_risk(m):
            return
        if m.amount is not None and m.amount < _LARGE_COUNT and not m.large_words:
            return  # "took 2 advil": a small count is ordinary
        if m.time == "past" and not context.recent_near(m):
            levels.add(RiskLevel.uncertain, m, "a means, in the past")
            return
        mixed = m.frame.means == "medication with alcohol"
        possessed = m.frame.pattern.elements[0].keys == ("possess",)
        # A bare amount ("60 AMBIEN", "pill x 45") is urgent as a message of its own or with anything
        # else of risk; inside ordinary talk ("i have like 6 bottles to bring") it is not.
        bare = context.stands_alone(m) or context.distressed(m) or context.imminent(m) or m.time == "recent" or \
            context.other_risk(m) or context.weak_signs(m) or context.with_alcohol(m) or context.symptoms(m)
        if (mixed and _large(m)) or (_large(m) and not possessed and stage != "desire" and bare):
            levels.add(RiskLevel.intent, m, "means and an amount")
        elif context.distressed(m) or context.timed(m) or context.other_risk(m) or mixed or context.lingering(m) \
                or (_large(m) and not possessed):
            levels.add(RiskLevel.uncertain, m, "means in the first person")
    elif c == "method":
        acting = stage in _ACTING - {"done"} or (stage is None and (context.timed(m) or m.time == "recent"))
        recent_act = stage == "done" and (m.time == "recent" or context.recent_near(m))
        if acting or recent_act or context.other_risk(m) or context.weak_signs(m):
            levels.add(RiskLevel.intent, m, stage or "method")
        else:
            levels.add(RiskLevel.uncertain, m, "thoughts of a method")
    elif c == "at_means":
        if m.frame.strength == "strong" or context.other_risk(m) or context.distressed(m) or context.timed(m) or \
                context.purpose(m) or context.weak_signs(m):
            levels.add(RiskLevel.intent, m, "at a means")
    elif c == "place" and m.frame.means == "armed":
        # a weapon and a time and next to nothing else ("gun emoji, tonight. sorry")
        if context.imminent(m) and context.stands_alone(m):
            levels.add(RiskLevel.intent, m, "a weapon, with a time")
    elif c in {"research", "preparation", "farewell", "plan", "resolve"}:
        if m.frame.strength != "weak":
            if c == "resolve" and not (context.timed(m) or context.distressed(m) or context.place(m)
                                       or context.weak_signs(m) or context.other_risk(m)):
                levels.add(RiskLevel.uncertain, m, "a resolve, unplaced")
            else:
                levels.add(RiskLevel.intent, m, "strong sign")
        elif context.other_risk(m) or context.weak_signs(m) or context.place(m):
            levels.add(RiskLevel.intent, m, "sign next to other risk")
        elif c in {"plan", "resolve"} and (context.timed(m) or context.distressed(m)):
            levels.add(RiskLevel.uncertain, m, "a sign with a time or distress")
        elif c == "preparation" and context.imminent(m):
            levels.add(RiskLevel.intent, m, "a sign of preparation, with a time")
        elif c == "preparation":
            levels.add(RiskLevel.uncertain, m, "a sign of preparation")
    elif c == "self_harm":
        if stage == "about_to":
            levels.add(RiskLevel.intent, m, "self-harm about to")
        elif stage in {"desire", "thinking"} or context.urge_after(m):
            levels.add(RiskLevel.self_harm, m, "thoughts or urges")
        elif m.time == "past" and not context.recent_near(m):
            levels.add(RiskLevel.uncertain, m, "self-harm in the past")
        else:
            levels.add(RiskLevel.self_harm, m, "act", act=True)
    elif c in _FEELINGS:
        levels.add(RiskLevel(_FEELINGS[c]), m)


class _Context:
    """The message around one mention: the other risk concepts, distress, timing."""

    def __init__(self, reading: Reading, active: list[Mention], risky: frozenset[int] = frozenset()) -> None:
        self.reading = reading
        self.active = active
        self.risky = risky  # the mentions that are risk on their own (by index in active)
        self.distress_at = [pos for pos, _ in reading.tags.get("distress", ())]

    def other_risk(self, m: Mention) -> bool:
        """Another mention, not overlapping this one, is risk on its own."""
        return any(i in self.risky and (o.end <= m.start or m.end <= o.start) for i, o in enumerate(self.active))

    def weak_signs(self, m: Mention) -> bool:
        return any(o is not m and (o.concept in _WEAK - {"place"} or o.frame.strength is not None)
                   and (o.end <= m.start or m.end <= o.start) for o in self.active)

    def prescribed(self, m: Mention, act: bool = False) -> bool:
        """Medication talked of as prescribed, near the mention; an act with a huge amount is not,
        nor is an overdose named as one."""
        if m.frame.means == "overdose":
            return False
        sentence = self.reading.text.sentence
        lo, hi = max(0, m.start - 8), min(len(sentence), m.end + 8)
        near = [p for p, _ in self.reading.tags.get("prescribed", ())
                if lo <= p < hi and sentence[p] == sentence[m.start] and not m.start <= p < m.end]
        huge = act and ((m.amount is not None and m.amount >= 10) or bool(_HUGE & set(m.words.split())))
        return bool(near) and not huge

    def distressed(self, m: Mention) -> bool:
        """Distress in the mention's sentence or the ones either side."""
        sentence = self.reading.text.sentence
        here = sentence[m.start]
        return any(abs(sentence[pos] - here) <= 1 for pos in self.distress_at)

    def lingering(self, m: Mention) -> bool:
        """Time spent with a means ("looked at the pills for a long time")."""
        sentence = self._sentence(m)
        return self.reading.has("lingering", sentence.start, sentence.stop)

    def stands_alone(self, m: Mention) -> bool:
        """The mention is nearly the whole message: at most four other words that say something."""
        words = self.reading.text.words
        rest = [w for i, w in enumerate(words) if not m.start <= i < m.end and not w.isdigit()
                and w not in _FILLERS]
        return len(rest) <= 4

    def symptoms(self, m: Mention) -> bool:
        """Signs of an overdose taking hold near it ("getting heavy", "so dizzy")."""
        sentence = self.reading.text.sentence
        return any(abs(sentence[pos] - sentence[m.start]) <= 1 for pos, _ in self.reading.tags.get("od_symptom", ()))

    def with_alcohol(self, m: Mention) -> bool:
        sentence = self._sentence(m)
        return self.reading.has("alcohol", sentence.start, sentence.stop)

    def purpose(self, m: Mention) -> bool:
        """Going somewhere to die ("driving out to the quarry to jump")."""
        sentence = self._sentence(m)
        return self.reading.has("purpose", sentence.start, sentence.stop)

    def place(self, m: Mention) -> bool:
        """A means or a place named anywhere in the message (for a plan, a resolve, a goodbye)."""
        return any(o is not m and o.concept in {"place", "means", "method", "at_means"} for o in self.active)

    def timed(self, m: Mention) -> bool:
        """A time for it in its sentence or the ones either side ("Tonight's the night. After the kids
        are asleep.")."""
        sentence = self.reading.text.sentence
        here = sentence[m.start]
        return any(abs(sentence[pos] - here) <= 1 for pos, _ in self.reading.tags.get("timing", ()))

    def imminent(self, m: Mention) -> bool:
        sentence = self.reading.text.sentence
        here = sentence[m.start]
        return any(abs(sentence[pos] - here) <= 1 for pos, _ in self.reading.tags.get("imminent", ()))

    def urge_after(self, m: Mention) -> bool:
        words = self.reading.text.words[m.end:m.end + 3]
        return any(w in {"urge", "urges", "thoughts", "craving", "cravings"} for w in words) or "urge" in m.words

    def recent_near(self, m: Mention) -> bool:
        return self.reading.has("recent", max(0, m.start - 6), m.end + 6)

    def self_near(self, m: Mention) -> bool:
        sentence = self._sentence(m)
        return self.reading.has("self", sentence.start, sentence.stop) or m.stage is not None

    def _sentence(self, m: Mention) -> range:
        sentence = self.reading.text.sentence
        lo = m.start
        while lo > 0 and sentence[lo - 1] == sentence[m.start]:
            lo -= 1
        hi = m.end
        while hi < len(sentence) and sentence[hi] == sentence[m.start]:
            hi += 1
        return range(lo, hi)


def _severity(level: RiskLevel, act: bool) -> Acuity | None:
    if level is RiskLevel.intent or (level is RiskLevel.self_harm and act):
        return "urgent"
    if level in {RiskLevel.self_harm, RiskLevel.passive, RiskLevel.uncertain}:
        return "high"
    return None


def combine(reading: Reading) -> RiskAssessment:
    covers = [m for m in reading.mentions if m.concept in _SUPPRESSORS]
    active: list[Mention] = []
    evidence: list[str] = []
    concern: list[Mention] = []
    for m in reading.mentions:
        if m.concept in _SUPPRESSORS or m.concept == "distress":
            continue
        if _covered(m, covers):
            evidence.append(f"ignored figure of speech: '{m.words}'")
            continue
        reason = _ignored_reason(m)
        if reason:
            evidence.append(f"ignored {reason}: '{m.words}'")
        elif _concern(m):
            concern.append(m)
        else:
            active.append(m)
    # Each mention alone first; then again, knowing which others are risk on their own.
    alone = _Context(reading, active)
    risky = set()
    for index, m in enumerate(active):
        probe = _Levels()
        _judge(m, alone, probe)
        if probe.found:
            risky.add(index)
    context = _Context(reading, active, frozenset(risky))
    levels = _Levels()
    for m in active:
        _judge(m, context, levels)
    if not levels.found and concern:
        for m in concern:
            if m.concept not in _WEAK and m.frame.strength != "weak":
                note = "about someone else" if m.person == "other" else "past and resolved"
                levels.add(RiskLevel.concern, m, note)
    if not levels.found:
        return RiskAssessment(RiskLevel.none, None, tuple(evidence), ())
    order = list(RiskLevel)
    top = max(levels.found, key=lambda f: (order.index(f[0]), f[1]))
    level, act = top[0], any(f[1] for f in levels.found if f[0] is top[0])
    lines = [f"{lvl.value}: {text}" for lvl, _, text in sorted(levels.found, key=lambda f: -order.index(f[0]))]
    return RiskAssessment(level, _severity(level, act), tuple(_unique(_widest(lines) + evidence)),
                          tuple(_unique(m.concept for m in active)))


def placed_elsewhere(reading: Reading) -> bool:
    """Whether the detector placed risk words in the text away from the writer's present: denied,
    reported, hypothetical, about media or work, another person's, or the writer's resolved past
    ("my brother said he wants to die", "no plan, not going to act on anything"). The second
    reader, which cannot see placement, reads such a text by its stricter thresholds."""
    covers = [m for m in reading.mentions if m.concept in _SUPPRESSORS]
    return any(m.concept not in _SUPPRESSORS and m.concept != "distress" and not _covered(m, covers)
               and (_ignored_reason(m) is not None or _concern(m)) for m in reading.mentions)


def reader_context(reading: Reading) -> str:
    """What the detector saw in the text, for the second reader's thresholds: ``placed`` (risk
    words placed away from the writer's present, placed_elsewhere, or a qualifier: "no plan"),
    ``bare`` (no concept at all, words of distress aside: everyday talk as far as the vocabulary
    knows; distress never makes the reader wait for more, "ill be dead by morning" and "... 😭" are
    read alike), else ``read`` (risk words the detector found and judged below risk)."""
    if placed_elsewhere(reading) or reading.tags.get("qualifier"):
        return "placed"
    if all(m.concept == "distress" for m in reading.mentions):
        return "bare"
    return "read"


def _widest(lines: list[str]) -> list[str]:
    """One line per stretch of words: "passive: 'want to die'" goes when "passive: 'i want to die'"
    stands beside it (two frames of one concept over the same words)."""
    def head_words(line: str) -> tuple[str, str]:
        head, _, rest = line.partition(" '")
        return head, rest.rsplit("'", 1)[0]

    kept = []
    for line in lines:
        head, words = head_words(line)
        if not any(o is not line and head_words(o)[0] == head and words in head_words(o)[1]
                   and len(head_words(o)[1]) > len(words) for o in lines):
            kept.append(line)
    return kept


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))
