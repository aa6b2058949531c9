"""Risk language in free text: any SMS reply or app note, whatever question is open.

`assess(text)` returns the highest risk level the text shows, the severity the default safety rules
give it, and short evidence for the care team ("intent: 'kill myself' (stated intent)"). Levels, in
order of precedence:

- intent (urgent): a stated intent, plan or preparation to die or to self-harm ("going to kill myself",
  "i have the pills saved up", "wrote my goodbye letters", "gonna cut myself tonight"), a recent
  attempt, and active suicidal ideation ("i want to kill myself", "im suicidal", "kms", "end it all").
  Active ideation that the writer qualifies with "no plan" / "not going to act on it" is reported as
  passive (high) instead.
- self_harm: a current or recent act ("i cut myself again", "been cutting", "relapsed on sh") is urgent;
  thoughts and urges ("want to hurt myself", "sh urges") are high. Self-harm stated as intent
  ("going to hurt myself tonight") is intent.
- passive (high): wishing to be dead or not to wake up, not wanting to live, others better off.
- uncertain (high): mentions of suicide, death or dying about oneself that are neither clearly risk nor
  clearly figurative, risk language about someone else ("my friend tried to kill himself"), past history
  ("tried to kill myself when i was 17"), hopelessness ("whats the point anymore"). Uncertain errs
  toward a human look.
- none: nothing above, including negated statements ("i would never hurt myself", "not suicidal",
  "no thoughts of self harm") and figures of speech ("this traffic is killing me", "dead tired").

Preparation is also read across a message. Signs (giving things away, goodbyes, "won't be around much
longer", a gun, looking up a lethal dose, pills with alcohol) are uncertain alone; weak hints ("going to
do it", "everything's ready", "this is my last message") are silent alone. A sign with any second sign
or hint is intent; a hint next to any other risk about the writer is intent; two hints are uncertain.

Text is normalised before matching: NFKC, case folded, accents stripped, apostrophes removed
("don't" -> "dont"), minimal leetspeak inside words ("k1ll" -> "kill"), emoji and symbols dropped,
and every run of a repeated letter squeezed to one ("sooo" -> "so", "kill" -> "kil"). Patterns are
written in ordinary spelling and squeezed the same way when compiled, so "kil myself", "killl myself"
and "kill myself" all match. Each match is then judged in its clause: a negator joined to it by bridge
words ("would never", "no thoughts of"), a stated intent or an urge just before it, a past-history
marker, a third person as subject, an accidental injury ("cut myself shaving").

Patterns are plain alternations with bounded repetition, and a rule runs only when a word of the text
starts with one of its trigger words, so a long mood update costs about a millisecond.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

__all__ = ["RiskAssessment", "RiskLevel", "assess"]


class RiskLevel(StrEnum):
    none = "none"
    uncertain = "uncertain"
    passive = "passive"
    self_harm = "self_harm"
    intent = "intent"


Severity = Literal["urgent", "high"]


@dataclass(frozen=True)
class RiskAssessment:
    level: RiskLevel
    severity: Severity | None
    evidence: tuple[str, ...]


# --------------------------------------------------------------------------------------------------
# Normalisation

_APOSTROPHE_LIKE = str.maketrans(dict.fromkeys("\u2019\u2018\u201b`\u00b4\u02bc\u2032\uff07", "'"))
_LEET = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i", "*": "i"}
_CLAUSE_MARKS = frozenset(".,!?;:")
_QUOTE_LIMIT = 60


def _base(text: str) -> str:
    """NFKC, case fold and strip accents; the text evidence is quoted from."""
    if text.isascii():
        return text.lower()
    folded = unicodedata.normalize("NFKC", text.translate(_APOSTROPHE_LIKE)).casefold()
    return "".join(ch for ch in unicodedata.normalize("NFKD", folded) if not unicodedata.combining(ch))


def _normalise(base: str) -> tuple[str, list[int]]:
    """The matching form of `base` and, for each of its characters, the index it came from."""
    out: list[str] = []
    origin: list[int] = []
    size = len(base)
    for i, ch in enumerate(base):
        if ch == "'":
            continue
        if ch.isalpha():
            c = ch
        elif ch in _LEET and 0 < i < size - 1 and base[i - 1].isalpha() and base[i + 1].isalpha():
            c = _LEET[ch]
        elif ch.isdigit():
            c = ch
        elif ch in _CLAUSE_MARKS:
            c = ch
        elif ch in "\n\r":
            c = "."
        else:
            c = " "
        if c == " ":
            if not out or out[-1] == " ":
                continue
        elif out and out[-1] == c and (c.isalpha() or c in _CLAUSE_MARKS):
            continue
        out.append(c)
        origin.append(i)
    if out and out[-1] == " ":
        out.pop()
        origin.pop()
    return "".join(out), origin


def _squeeze_pattern(pattern: str) -> str:
    """Squeeze repeated literal letters in a pattern the way `_normalise` squeezes text."""
    out: list[str] = []
    prev = ""
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            out.append(pattern[i : i + 2])
            prev = ""
            i += 2
            continue
        if c.isalpha() and c == prev:
            i += 1
            continue
        out.append(c)
        prev = c if c.isalpha() else ""
        i += 1
    return "".join(out)


def _squeeze_word(word: str) -> str:
    return "".join(c for i, c in enumerate(word) if i == 0 or c != word[i - 1])


def _words(*words: str) -> frozenset[str]:
    return frozenset(_squeeze_word(w) for w in words)


# --------------------------------------------------------------------------------------------------
# Pattern fragments (ordinary spelling; <NAME> is replaced before compiling)

_FRAGMENTS: dict[str, str] = {
    "SELF": r"(?:myself|myslef|mysefl|meself|my self(?! (?:esteem|confidence|worth|image|respect|care|"
    "love)\b))",
    "SUICIDE": r"(?:su+[iy]?[cs]+[iy]?d(?:e|es)|sewer ?slides?)",
    "SUICIDAL": r"(?:su+[iy]?[cs]+[iy]?d(?:al|ial|ally))",
    "FUTURE": (
        r"(?:going to|going 2|goin to|gonna|gunna|gna|finna|bout to|about to|planning to|planning on|"
        r"plan to|plan on|decided to|deciding to|ready to|intend to|intending to|will|ill|i shall)"
    ),
    "WANT": (
        r"(?:want to|wanna|wanting to|would like to|id like to|wish i could|need to|have to|thinking about|"
        r"thinking of|think about|tempted to|just want to)"
    ),
    "ADV": (
        r"(?:just|really|finally|actually|seriously|definitely|literally|probably|totally|honestly|fucking|"
        r"def|prob|go|try to|try and|end up)"
    ),
    "MEDS": (
        r"(?:pills?|meds|medications?|medicine|tablets?|tabs|capsules?|prescriptions?|sleeping pills|"
        r"sleep meds|painkillers|pain killers|pain meds|benzos|opioids|opiates|antidepressants|insulin|"
        r"tylenol|acetaminophen|paracetamol|advil|ibuprofen|aspirin|xanax|klonopin|ativan|valium|"
        r"seroquel|trazodone|ambien|oxy|oxycodone|lithium|lorazepam|clonazepam|alprazolam|zolpidem|"
        r"quetiapine|lexapro|zoloft|sertraline|fentanyl|heroin|oxys|oxies)"
    ),
    "SHV": (
        r"(?:cut|cuts|cutting|burn|burns|burned|burnt|burning|hurt|hurts|hurting|harm|harmed|harming|"
        r"scratch|scratched|scratching|hit|hitting|punch|punched|punching|bite|bit|biting|stab|stabbed|"
        r"stabbing|carve|carved|carving|beat|beating|bruise|bruised|slap|slapped|injure|injured|"
        r"injuring|punish|punished|punishing|choke|choked|choking|strangle|strangled)"
    ),
    "WISHCUE": (
        r"(?:wish|wishing|wished|hope|hoping|pray|praying|want|wanted|wanna|rather|prefer|better off|"
        r"easier|nicer|nice|a relief|peaceful|ok with|okay with|fine with|happy to|glad to|ready to|"
        r"wouldnt mind|would not mind|long to|longing to|deserve to)"
    ),
    "FILLER": (
        r"(?:i|id|im|was|were|could|would|just|be|to|that|had|been|already|simply|finally|only|honestly|"
        r"really|sometimes|actually|so|it|if|how|off|all|of|this|over|already)"
    ),
    "DEATHSTATE": (
        r"(?:dead|die|died|be dead|not alive|wasnt alive|werent alive|not be alive|not exist|not existing|"
        r"didnt exist|stop existing|stopped existing|not wake up|dont wake up|didnt wake up|never wake up|"
        r"never woke up|never woken up|stop waking up|not be here|wasnt here|werent here|not be around|"
        r"wasnt around|gone forever|dead already|not born|never born)"
    ),
    "DEADIDIOM": (
        r"(?! (?:asleep|tired|serious|seriously|wrong|set|on my feet|to the world|center|centre|last|even|"
        r"ringer|weight|end|battery|quiet|silent|heat)\b)"
    ),
    "THANFIG": (r"(?! than (?!(?:feel|live|keep|go on|be|wake|continue|suffer|exist|spend another|do this|face)\b))"),
    "FORGOOD": r"for good(?! (?:knows|sake)\b)(?!s\b)",
    "NOTAFTER": (
        r"(?! (?:the|a|an|my|our|this|that|these|those|vacation|holiday|trip|tour|walks?|dates?|rides?|"
        r"social|tv|stage|it|with|without|tomorrow|today|tonight|until|till|at|in|to|for|about|forever|"
        r"if|unless|back)\b)"
    ),
}


def _compile(pattern: str) -> re.Pattern[str]:
    for name, fragment in _FRAGMENTS.items():
        pattern = pattern.replace(f"<{name}>", fragment)
    return re.compile(_squeeze_pattern(pattern))


# --------------------------------------------------------------------------------------------------
# Rules

Kind = Literal["plan", "ideation", "harm", "harm_noun", "wish", "concern", "sign", "hint", "mood"]


# A rule runs only when a word of the normalised text starts with one of its triggers (ordinary
# spelling, squeezed like the text). This keeps a long message cheap: most rules never run on a mood
# update. Every trigger must be the start of a word that any match of the rule contains.
_MEDS_T = (
    "pill med tab capsule prescri painkil pain benzo opi antidep insulin tylenol acetamin paracet advil "
    "ibuprof aspirin xanax klonopin ativan valium seroquel trazod ambien oxy lithium loraz clonaz alpraz "
    "zolp quetia lexapro zoloft sertral fentan heroin"
)
_SUICIDE_T = "sui suc sus sewer"
_SELF_T = "myself mysl mysef meself self"
_DEATH_T = "dead die alive exist wak woke here around gone born"
_GUN_T = "gun pistol rifle shotgun handgun revolver firearm"
_TRIGGERS: dict[str, str] = {
    "take the whole supply": "whole entire full",
    "take every pill": f"{_MEDS_T} them",
    "medication set aside": _MEDS_T,
    "stockpiling medication": "sav stockpil stash hoard aside",
    "enough medication": "enough",
    "noose": "noose",
    "goodbye note": f"{_SUICIDE_T} goodby bye farewell",
    "dead by a time": "dead gone",
    "not alive by a time": "alive living breathing",
    "plan to die": "plan method",
    "loaded gun": _GUN_T,
    "took a count of pills": f"{_MEDS_T} of",
    "hoarding medication": _MEDS_T,
    "goodbye for after i'm gone": "gone dead hear",
    "planning suicide": _SUICIDE_T,
    "kill myself": "kill murder",
    "kms": "kms",
    "unalive myself": "unalive",
    "suicidal": _SUICIDE_T,
    "suicidal thoughts": _SUICIDE_T,
    "thoughts of suicide": _SUICIDE_T,
    "commit suicide": _SUICIDE_T,
    "suicide appeals": _SUICIDE_T,
    "ready to die now": "die",
    "end my life": "life lives",
    "end it all": "end",
    "end it": "end",
    "overdose": "od overdos dose",
    "overdose on medication": "od overdos dose",
    "method": (
        "hang hung shoot drown gas electrocut poison suffocat slit slic slash throw jump step walk lie lay lying"
    ),
    "method with intent": "driv crash steer swerv walk swim wade off top end delete do jump",
    "take all my medication": f"{_MEDS_T} them these those",
    "use it on myself": f"{_SELF_T} head throat chest",
    "attempt": "tri try attempt",
    "self-harm act": _SELF_T,
    "cut body": "cut slit slic carv scratch burn",
    "cutting": "cut",
    "cut again": "cut burn",
    "injury on purpose": "purpose",
    "until it bled": "until til untl",
    "made myself bleed": "bleed",
    "blade": "blade razor scalpel cutter",
    "fresh cuts": "cuts",
    "body part on purpose": "purpose against into",
    "blade on skin": "razor blade knife lighter scissors glass compass sharpen",
    "self-harm": "self",
    "sh": "sh",
    "sh urges": "sh",
    "wish to be dead": "dead gone deceased alive",
    "better off dead": "dead gone",
    "rather be dead": "rather sooner",
    "want to die": "die dye dead",
    "do not want to live": "liv alive exist here around earth world wak go keep carry",
    "not be here": "not",
    "wish not to wake": "wak woke exist born",
    "never born": "born",
    "sleep and never wake": "wak open come",
    "sleep forever": "forever ever permanent good never",
    "do not care if i die": "care",
    "better off without me": "without if gone",
    "nobody would care": "nobody no",
    "tired of living": "liv life alive exist breath being wak",
    "cannot go on": "go keep carry liv exist life",
    "no point in living": "point",
    "no reason to live": "reason will desire motivation wish nothing",
    "life not worth living": "worth",
    "want it all to end": "end over done stop",
    "waiting to die": "die death end dead exist",
    "death would be a relief": f"{_DEATH_T} death dying disappear ending",
    "let something kill me": (
        "kill take end hit run ran strike come accident crash wreck mind care welcome embrac invit"
    ),
    "give up on life": "up",
    "stop existing": "disappear vanish exist",
    "wish for own death": _DEATH_T,
    "why keep living": "why what reason part",
    "fine if i died": "if dying died",
    "passive ideation": "passive death",
    "giving things away": "away",
    "goodbyes": "goodby bye",
    "not around much longer": "here around gone dead not",
    "gun access": _GUN_T,
    "lethal amount": "lethal fatal deadly how looked",
    "saving medication": _MEDS_T,
    "means at hand": "rope charcoal helium razor",
    "going to do it": "do doing through night day",
    "taking them now": f"{_MEDS_T} them these those it",
    "note written": "note letter",
    "leaving tonight": "going leaving gone",
    "last message": "last final plan plans",
    "decision made": "made decided",
    "skipping care": "session appointment infusion treatment visit",
    "ready": "everything",
    "alcohol with pills": _MEDS_T,
    "i'm done": "done",
    "knows how": "do way method means",
    "suicide mentioned": f"{_SUICIDE_T} unalive",
    "about someone else": ("himself herself themselves themself yourself yourselves ourselves his her their kys"),
    "overdose mentioned": "overdos over many much",
    "thoughts of death": f"{_DEATH_T} death dying disappear ending end jump funeral mortal forever mind",
    "dark thoughts": "dark morbid unsafe grim death bad scary",
    "not safe": "safe unsafe trust myself",
    "afraid of what i might do": "what something",
    "want to disappear": "disappear vanish gone fade",
    "do not want to be here": "here",
    "dead inside": "inside dead",
    "cannot take it anymore": "anymore any longer long keep go carry hold do",
    "giving up": "give giving fighting trying",
    "hopeless": "pointless meaningless hopeless futile matters point way with over",
}


@dataclass(frozen=True)
class _Rule:
    name: str
    kind: Kind
    pattern: re.Pattern[str]
    triggers: tuple[str, ...]
    topic: bool = False  # a noun phrase that a following "none" / "are gone" can cancel
    accident: bool = False  # check for an accidental injury ("cut myself shaving")
    spelled: re.Pattern[str] | None = None  # the unsqueezed text must match too ("noose", not "nose")


def _rule(
    name: str,
    kind: Kind,
    pattern: str,
    *,
    topic: bool = False,
    accident: bool = False,
    spelled: str | None = None,
) -> _Rule:
    triggers = tuple(dict.fromkeys(_squeeze_word(t) for t in _TRIGGERS[name].split()))
    checked = re.compile(spelled) if spelled else None
    return _Rule(name, kind, _compile(pattern), triggers, topic, accident, checked)


_LEVEL_OF_KIND: dict[Kind, RiskLevel] = {
    "plan": RiskLevel.intent,
    "ideation": RiskLevel.intent,
    "harm": RiskLevel.self_harm,
    "harm_noun": RiskLevel.self_harm,
    "wish": RiskLevel.passive,
    "concern": RiskLevel.uncertain,
    "sign": RiskLevel.uncertain,
    "hint": RiskLevel.none,
    "mood": RiskLevel.none,
}

_RULES: tuple[_Rule, ...] = (
    # ---- intent: plans, preparation, means, attempts
    _rule(
        "take the whole supply",
        "plan",
        r"\b(?:take|took|taking|swallow|swallowed|swallowing|down|downed|downing|drink|drank|chug|chugged|"
        r"pop|popped|empty|emptied) (?:(?:a|the|my|an|his|her) )?(?:whole|entire|full) (?:bottle|bottles|"
        r"pack|packet|box|supply|stash|prescription|blister)\b",
    ),
    _rule(
        "take every pill",
        "plan",
        r"\b(?:take|took|taking|swallow|swallowed|swallowing|down|downed|pop|popped) (?:all|every|each|"
        r"every single one) (?:of )?(?:(?:my|the|these|those|of) ){0,2}(?:\w+ )?(?:<MEDS>|them|pill|"
        r"tablet|capsule|med)\b (?:in (?:the|my|this)|i (?:have|own|can find|could find|got)|left|at once|"
        r"all at once|at the same time|in one go|together)",
    ),
    _rule(
        "medication set aside",
        "plan",
        r"\b<MEDS> (?:(?:are|is|all|have been|been) )?(?:saved|saved up|stockpiled|stashed|counted|"
        r"counted out|lined up|laid out|set aside|put aside|hoarded)\b",
    ),
    _rule(
        "stockpiling medication",
        "plan",
        r"\b(?:saved up|saving up|save up|stockpil\w*|stashing|stashed|hoarding|hoarded|setting aside|"
        r"putting aside) (?:(?:all|of|my|the|some|enough|up|on) ){0,3}(?:\w+ )?<MEDS>\b"
        r"|\bstockpil\w* (?:up )?(?:on )?(?:my|all|the|some|enough|his|her)\b",
    ),
    _rule(
        "enough medication",
        "plan",
        r"\benough (?:of )?(?:(?:my|the|these|those) )?(?:\w+ )?<MEDS> (?:to|for)\b"
        r"(?! (?:last|get|the|a|finish|cover|make|next|this|my)\b)",
    ),
    _rule("noose", "plan", r"\bnoose\b", spelled=r"oo"),
    _rule(
        "goodbye note",
        "plan",
        r"\b(?:goodbye|good bye|goodby|farewell|<SUICIDE>) (?:letters?|notes?|messages?|videos?|texts?|"
        r"emails?)\b"
        r"|\bthis is (?:my )?(?:goodbye|good bye|farewell)\b",
    ),
    _rule(
        "dead by a time",
        "plan",
        r"\b(?:be|am|im|i am|ill be|will be|should be|gonna be) (?:dead|gone) (?:by|before) (?:tomorrow|"
        r"morning|the morning|tonight|the weekend|next week|sunrise|monday|tuesday|wednesday|thursday|"
        r"friday|saturday|sunday|the time you read this)\b",
    ),
    _rule(
        "not alive by a time",
        "plan",
        r"\b(?:wont|will not|not going to|not gonna) be (?:alive|living|breathing) (?:by|tomorrow|next|"
        r"much longer|for much longer|for long|long|when|to see)\b",
    ),
    _rule(
        "plan to die",
        "plan",
        r"\b(?:have|got|made|ive made|ive got|worked out|came up with|figured out) (?:a|the|my) "
        r"(?:plan|plans|method)\b(?= (?:to (?:end|kill|die|do it|overdose|od|hang|jump|take my|go through)|"
        r"for (?:how|when|where)|and (?:im|i am|i will|ill|the date|a date)))",
    ),
    _rule(
        "loaded gun",
        "plan",
        r"\b(?:gun|pistol|rifle|shotgun|handgun|revolver) (?:is |was )?(?:loaded|in my (?:hand|mouth|lap)|"
        r"to my head)\b|\bloaded (?:the |my |a |dads |his )?(?:gun|pistol|rifle|shotgun|handgun|revolver)\b",
    ),
    _rule(
        "took a count of pills",
        "plan",
        r"\b(?:took|taken|swallowed|downed|popped|ate|had) (?:\d{2,}|a bunch|a whole bunch|a handful|a "
        r"fistful|"
        r"way too many|too many|a lot|lots|loads|a ton|half a bottle|half the bottle) (?:of )?(?:my |the |"
        r"those |these |all my )?(?:\w+ )?"
        r"(?:<MEDS>)\b|\b(?:took|taken|swallowed|downed|popped) \d{2,} of my \w+",
    ),
    _rule(
        "hoarding medication",
        "plan",
        r"\b(?:collect|collecting|collected|saving|saved|keeping|kept|hiding|hid|stashing|hoarding) (?:up )?"
        r"(?:my|the|all my|extra|all the) (?:\w+ )?<MEDS> (?:for (?:weeks|months|a while|a month|a week|"
        r"ages)|"
        r"in case|just in case|instead of taking)\b",
    ),
    _rule(
        "goodbye for after i'm gone",
        "plan",
        r"\b(?:letters?|notes?|messages?|videos?|cards?) (?:\w+ ){0,4}?(?:after|when|once|for when) im "
        r"(?:gone|dead)\b|\b(?:last time (?:you|anyone) (?:will|ll) hear from me|"
        r"(?:you|nobody|no one) (?:wont|will not) (?:ever )?hear from me again)\b",
    ),
    # ---- intent: active ideation (a stated intent before it makes it a plan)
    _rule(
        "planning suicide",
        "plan",
        r"\b(?:planning|plan|planned|preparing|prepared|scheduled|picked a date for) (?:out )?(?:my |a )?"
        r"<SUICIDE>\b",
    ),
    _rule(
        "kill myself",
        "ideation",
        r"\b(?:kill|killed|murder|murdering) <SELF>\b"
        # "killing myself with all this overtime" is overwork, unless a means follows
        r"|\bkilling <SELF>\b(?! (?:with|at|over|for|trying|to|working)\b(?! (?:(?:my|the|a|some|these|those|"
        r"all my|all the) )?(?:<MEDS>|rope|gun|knife|blade|razor|car|alcohol|drugs)\b))",
    ),
    _rule("kms", "ideation", r"(?<!\d )\bkms\b"),
    _rule("unalive myself", "ideation", r"\bunalive\w* (?:<SELF>|me)\b"),
    _rule(
        "suicidal",
        "ideation",
        r"\b<SUICIDAL>\b(?! (?:thoughts?|ideation|ideations|feelings?|urges?|thinking|tendencies|ideas?|"
        r"scene|"
        r"character|person|people|friends?|patients?|guy|man|woman|girl|boy|kids?|teens?|son|daughter|"
        r"brother|sister|mom|dad|husband|wife|partner|hotline|prevention|line|crisis|behaviou?r|risk)\b)",
    ),
    _rule(
        "suicidal thoughts",
        "ideation",
        r"\b<SUICIDAL> (?:thoughts?|ideation|ideations|feelings?|urges?|thinking|tendencies|ideas?)\b",
        topic=True,
    ),
    _rule(
        "thoughts of suicide",
        "ideation",
        r"\b(?:thoughts?|thinking|thinkin|think|thought|ideas?|urges?|feelings?|fantasies|obsessing|"
        r"considering|contemplating|planning)(?: (?:a lot|so much|constantly|seriously|really))?"
        r"(?: (?:about|of|abt|on))?(?: my)? <SUICIDE>\b",
        topic=True,
    ),
    _rule(
        "commit suicide",
        "ideation",
        r"\b(?:commit|commiting|committing|commited|committed|attempt|attempting|attempted|die by|died by|"
        r"dying by|death by|want|wanna) <SUICIDE>\b",
    ),
    _rule(
        "suicide appeals",
        "ideation",
        r"\b<SUICIDE> (?:is|sounds|seems|looks|looking|is looking|feels|would be|is starting to look)"
        r"(?: \w+){0,2} (?:good|nice|better|appealing|tempting|peaceful|easier|answer|way out|option)\b",
    ),
    _rule(
        "ready to die now",
        "ideation",
        r"\b(?:ready|prepared|planning) to die (?:tonight|today|this weekend|right now|now|soon|tomorrow)\b",
    ),
    _rule(
        "end my life",
        "ideation",
        r"\b(?:end|ending|ended|take|taking|took) my (?:own )?li(?:fe|ves)\b(?! (?:back|in (?:a|a new|"
        r"another)"
        r"|into|to the next|one day|day by day|step by step|seriously|more seriously)\b)",
    ),
    _rule(
        "end it all",
        "ideation",
        r"\bend(?:ing)? (?:it all|everything|all of it|my suffering|it once and for all)\b",
    ),
    _rule(
        "end it",
        "ideation",
        r"\b(?:<FUTURE>|<WANT>|(?:when|the day|the night|before|then|and then|until) i)(?: <ADV>){0,2} "
        r"(?P<core>end(?:ing)? (?:it|things|my pain|the pain))\b"
        r"(?! (?:with|between|off|early|here|there|at|after|before|on|for (?:the|now|today)|now and|by)\b)",
    ),
    _rule(
        "overdose",
        "ideation",
        r"\b(?:<FUTURE>|<WANT>)(?: <ADV>){0,2} (?P<core>overdose|overdosing|over dose|od|oding)\b",
    ),
    _rule(
        "overdose on medication",
        "ideation",
        r"\b(?:od|oding|overdose|overdosing|overdosed|over dose|over dosed) on (?:(?:my|all|the|some|of|a|"
        r"bunch|lot|handful|his|her|these|those|whole|bottle) ){0,4}(?:\w+ )?<MEDS>\b",
    ),
    _rule(
        "method",
        "ideation",
        r"\b(?:hang|hanging|hanged|hung|drown|drowning|drowned|gas|gassing|electrocute|poison|poisoning|"
        r"suffocate|suffocating) <SELF>\b"
        # "shoot" and "shot" squeeze alike; "a flu shot myself" is not a method
        r"|(?<!\ba )(?<!\bthe )(?<!\bmy )(?<!\bflu )(?<!\bthat )(?<!\bthis )\b(?:shoot|shooting) <SELF>\b"
        r"|\b(?:slit|slice|slash|slitting|slicing|slashing) my (?:wrists?|throat)\b"
        r"|\bthrow(?:ing)? <SELF> (?:off|in front of|under|from)\b"
        r"|\bjump(?:ing|ed)? (?:off|from) (?:a|the|my|this|that|our) (?:\w+ )?(?:bridge|building|roof|"
        r"rooftop|balcony|cliff|garage|overpass|tower|window|ledge)\b"
        r"|\b(?:jump|jumping|step|stepping|walk|walking|lie|lay|lying) (?:in front of|under|onto) (?:a|the|"
        r"an|"
        r"some|oncoming) (?:\w+ )?(?:train|bus|car|truck|traffic|subway|tracks)\b",
    ),
    _rule(
        "method with intent",
        "ideation",
        r"\b(?:<FUTURE>|<WANT>)(?: <ADV>){0,2} (?P<core>(?:drive|driving|crash|crashing|steer|swerve|"
        r"swerving) "
        r"(?:my car |the car |my truck )?(?:off|into) (?:a|the|an|oncoming) (?:\w+ )?(?:bridge|cliff|road|"
        r"wall|tree|river|lake|pole|traffic|truck|barrier|overpass|ditch)|(?:walk|swim|wade|drive) (?:out )?"
        r"into (?:the|a) (?:ocean|sea|lake|river|water|waves|traffic|woods)|(?:off|top|end|delete|do) <SELF>"
        r"(?: in)?|jump(?: off| from)?)\b",
    ),
    _rule(
        "take all my medication",
        "ideation",
        r"\b(?:<FUTURE>|<WANT>)(?: <ADV>){0,2} (?P<core>(?:take|swallow|down|pop|chug|eat) (?:all|every "
        r"last one|every single one|every one|every|the "
        r"rest)"
        r" (?:of )?(?:my |the |these |those )?(?:\w+ )?(?:<MEDS>|them)|(?:take|swallow|down|pop) (?:them|"
        r"these|"
        r"those) all|(?:take|swallow) all of (?:them|these|those))\b",
    ),
    _rule(
        "use it on myself",
        "ideation",
        r"\b(?:use|using|turn|turning|point|pointing) (?:it|this|that|them|the gun|a gun|the knife|a knife|"
        r"the rope) (?:on|at|against) <SELF>\b|\b(?:put|hold|held|holding) (?:the|a|my) (?:gun|pistol|knife) "
        r"to my (?:head|throat|chest)\b",
    ),
    _rule(
        "attempt",
        "ideation",
        r"\b(?:tried|try|trying|attempted|attempting) to (?:od|overdose|end it|end things|hang|drown|jump|"
        r"end my life|take my life)\b",
    ),
    # ---- self-harm
    _rule("self-harm act", "harm", r"\b<SHV> <SELF>\b", accident=True),
    _rule(
        "cut body",
        "harm",
        r"\b(?:cut|cuts|cutting|slit|sliced|slicing|carved|carving|carve|scratched|burned|burnt) (?:into )?"
        r"my (?:wrists?|arms?|thighs?|legs?|skin|stomach|forearms?|hips?|ankles?)\b",
        accident=True,
    ),
    _rule(
        "cutting",
        "harm",
        r"\b(?:i|im|ive|been|started|start|keep|kept|up|to|wanna|gonna|like|about|of|ill|will|and|then|"
        r"not|didnt|havent|no)(?: (?:really|just|still|actually|literally|even|finally))? "
        r"(?P<core>cut|cutting)\b(?= ?(?:$|[.,!?;:]|again|rn|now|right now|tonight|today|so bad|badly|bad|"
        r"deep|deeper|more|and|but|for|last|yesterday|is|this (?:morning|afternoon|evening|week)))",
    ),
    _rule(
        "cut again",
        "harm",
        r"(?:^|(?<=[.!?;,] ))(?P<core>cut|cutting|burned|burnt|burning)(?= (?:again|deeper|deep|last night|"
        r"tonight|today|"
        r"yesterday|this morning)\b)",
    ),
    _rule(
        "injury on purpose",
        "harm",
        r"\b(?:<SHV>|bang|banged|banging|bash|bashed|bashing|pull|pulled|pulling|pick|picked|picking|"
        r"starve|starved|starving|scald|scalded)\b[^.!?;]{0,40}?\bon purpose\b",
    ),
    _rule(
        "until it bled",
        "harm",
        r"\b(?:scratch\w*|pick\w*|pull\w*|bit|bite|biting|hit|hitting|punch\w*|bang\w*|cut\w*|dig\w*|claw\w*|"
        r"rub\w*|burn\w*|hurt\w*)\b[^.!?;]{0,50}?\b(?:until|till|til|untill) (?:(?:it|they|i|my \w+|the skin|"
        r"skin|the \w+) )?(?:bled|bleeds|bleed|bleeding|bruised|bruises|bruise|split|was raw|were raw|"
        r"went raw|broke|scarred|hurt|hurts|hurt so bad)\b",
    ),
    _rule("made myself bleed", "harm", r"\b(?:made|make|making) (?:myself|me|it|them) bleed\b"),
    _rule(
        "blade",
        "harm",
        r"\b(?:picked up|pick up|picking up|grabbed|grab|got out|took out|bought|buying) (?:the|a|my|some|"
        r"new) (?:blades?|razor blades?|scalpel|box cutter)\b|\b(?:the|my) (?:blade|blades|razor) again\b",
    ),
    _rule("fresh cuts", "harm", r"\b(?:fresh|new|deep|deeper) cuts\b|\bcuts on my (?:arms?|thighs?|legs?|wrists?)\b"),
    _rule(
        "body part on purpose",
        "harm",
        r"\bmy (?:hand|hands|arm|arms|head|leg|legs|wrist|wrists|skin|face|thigh|thighs|fist|fists|knuckles|"
        r"stomach|body|fingers?)\b[^.!?;]{0,40}?\bon purpose\b"
        r"|\b(?:bang|banged|banging|bash|bashed|bashing|hit|hitting|slam|slammed|slamming|smash|smashed|"
        r"smashing) my (?:head|fist|fists|hand|hands) (?:against|into) (?:the|a) (?:wall|floor|door|"
        r"mirror)\b",
    ),
    _rule(
        "blade on skin",
        "harm",
        r"\b(?:razor|razors|blade|blades|knife|lighter|scissors|glass|compass|sharpener)\b[^.!?;]{0,20}?"
        r"\b(?:on|into|across|to) my (?:arms?|legs?|thighs?|wrists?|skin|stomach|hips?|body)\b",
        accident=True,
    ),
    _rule(
        "self-harm",
        "harm_noun",
        r"\bself ?(?:harm|harmed|harming|harms|injury|injuring|injured|mutilation|mutilating)\b",
        topic=True,
    ),
    _rule(
        "sh",
        "harm_noun",
        r"\b(?:relapsed on|relapse on|relapsed with|relapsing on|urges to|urge to|want to|wanna|did|"
        r"clean from|free from|clean of|no) (?P<core>sh)\b",
    ),
    _rule(
        "sh urges",
        "harm_noun",
        r"\b(?P<core>sh) (?:urges?|thoughts?|relapse|again|last night|yesterday|tonight|today)\b",
    ),
    # ---- passive death wish
    _rule(
        "wish to be dead",
        "wish",
        r"\b(?:wish|wished|wishing|want|wanted|wanna|would like|id like|hope|hoping|pray|praying|need)"
        r"(?: that)? (?:i (?:was|were|could be|would be|d be|be|had died|just was|was just)|to be|"
        r"i could just be|im|i am|id be|ill be) (?:already )?(?:dead|gone|deceased|not alive)\b<DEADIDIOM>",
    ),
    _rule(
        "better off dead",
        "wish",
        r"\b(?:better off|be better|be happier|be easier|happier|easier) (?:if i (?:was|were|had|just was) )?"
        r"(?:dead|gone)\b",
    ),
    _rule(
        "rather be dead",
        "wish",
        r"\b(?:rather|sooner) (?:just )?(?:be dead|die|not exist|not be alive|not be here|not wake up|be "
        r"gone|"
        r"not live|stop existing)\b<DEADIDIOM><THANFIG>",
    ),
    _rule(
        "want to die",
        "wish",
        r"\b(?:want to|wants to|wanted to|wanting to|wanna|want 2|wan to|wish i could|wish to|wish i would|"
        r"wish id|hope i|hoping i|pray i|praying i|ready to|would like to|id like to|desire to|long to|"
        r"longing to|need to|deserve to|i should just|i should|should just|let me|just let me) (?:just )?"
        r"(?:die|dye|be dead)\b(?! (?:of|from|laughing|laughter|my|her|his|the|it|a little|inside)\b)"
        r"<DEADIDIOM><THANFIG>",
    ),
    _rule(
        "do not want to live",
        "wish",
        r"\b(?:dont|do not|didnt|did not|never|no longer|not sure (?:if |that )?i|dont know if i|"
        r"dont think i|not sure i even|cant say i|doesnt|dont even|dont really|really dont|honestly dont)"
        r"(?: (?:really|even|just|actually|honestly|truly))? (?:want|wanna|feel like|wish|care|need)(?: to)? "
        r"(?:live(?! (?:with|in|there|here|alone|near|at|on|together|somewhere|next|far|close|by|like that|"
        r"that way)\b)|living|be alive|being alive|stay alive|staying alive|exist|existing|be here anymore|"
        r"be here any more|be here any longer|be around anymore|be around any more|be around any longer|"
        r"be on this earth|be in this world|wake up(?! (?:early|at|before|so early|for|in time|on time|\d))|"
        r"waking up(?! (?:early|at|before|so early|for|in time|on time|\d))|go on<NOTAFTER>|"
        r"keep going<NOTAFTER>|keep living|carry on<NOTAFTER>)",
    ),
    _rule(
        "not be here",
        "wish",
        r"\b(?:to|want to|wanna|like to|id rather|rather|just|wish i could|i could just) not (?:be here|"
        r"be around|be alive|exist|wake up|be on this earth|be in this world|live)\b"
        r"(?! (?:for|at|when|during|with|in|early|before|on time)\b)",
    ),
    _rule(
        "wish not to wake",
        "wish",
        r"\b(?:wish|wishing|hope|hoping|pray|praying|prayed|easier|better|nice|okay|ok|fine|good|relief|"
        r"peaceful|relieved|glad|grateful|thankful) (?:if |that )?(?:i )?(?:just )?(?:wouldnt|would not|"
        r"didnt|did not|dont|do not|never|"
        r"wont|will not|could not|couldnt|could just not|could never) (?:ever )?(?:wake up|wake|woke up|"
        r"wake back up|exist|existed|been born|have been born|were born|was born)\b"
        r"(?! (?:early|at|before|on time|in time|for)\b)",
    ),
    _rule("never born", "wish", r"\b(?:wish|wishing|wished|wishes)\b[^.!?;]{0,20}?\bnever (?:\w+ )?born\b"),
    _rule(
        "sleep and never wake",
        "wish",
        r"\b(?:sleep|fall asleep|go to sleep|go to bed|close my eyes|drift off)(?: \w+){0,3} (?:and|n) "
        r"(?:just )?(?:never|not|dont|not ever) (?:wake up|wake|open them|come back)\b"
        r"(?! (?:until|til|till|before|early|at)\b)|\b(?:never|not) (?:to )?wake up again\b",
    ),
    _rule(
        "sleep forever",
        "wish",
        r"\b(?:want to|wanna|wish i could|just want to|id like to|would like to|need to|let me) (?:go to )?"
        r"(?:sleep|rest) (?:forever|for ever|and never wake|permanently|<FORGOOD>)\b",
    ),
    _rule(
        "do not care if i die",
        "wish",
        r"\b(?:dont|do not|wouldnt|would not|doesnt|didnt|couldnt|could not) (?:even |really |honestly "
        r")?care "
        r"(?:if|whether|anymore if) i (?:live|die|died|wake up|woke up|make it|survive|am alive|was alive|"
        r"was dead|lived)\b",
    ),
    _rule(
        "better off without me",
        "wish",
        r"\b(?:better|happier|easier|lighter|free|relieved)(?: off)? (?:without me\b|if i (?:was|were)"
        r"(?: just)? (?:gone|dead|not here|not around|not alive)\b|if i (?:wasnt|werent|was not|were not) "
        r"(?:here|around|alive|born)\b|if i (?:just )?(?:died|disappeared|didnt exist|never existed|"
        r"left for good|left forever)\b|when im gone\b|once im gone\b)",
    ),
    _rule(
        "nobody would care",
        "wish",
        r"\b(?:nobody|no one|noone|no1) (?:would|will|is going to|is gonna|gonna|wouldve)(?: even| ever| "
        r"really)? "
        r"(?:miss me|mourn me|notice im gone|care if i (?:was gone|were gone|died|disappeared|was dead|"
        r"wasnt here|wasnt around|didnt wake up|killed myself)|notice if i (?:was gone|were gone|died|"
        r"disappeared|was dead|wasnt here|wasnt around|didnt wake up|killed myself))\b",
    ),
    _rule(
        "tired of living",
        "wish",
        r"\b(?:tired|sick|exhausted|done|over|finished|fed up|weary|worn out) (?:of|with|from) (?:living|"
        r"life|being alive|"
        r"existing|this life|my life|being here|breathing|being me|waking up(?! (?:at|early|so early)\b))\b"
        r"(?! (?:insurance|coach|story|choices|updates?)\b)",
    ),
    _rule(
        "cannot go on",
        "wish",
        r"\b(?:cant|can not|cannot|couldnt|could not|unable to|no longer able to)"
        r"(?: (?:really|even|just|honestly))? (?:go on like this|"
        r"go on this way|go on living|go on anymore|go on any more|keep going like this|keep living like "
        r"this|"
        r"keep living|live like this|live this way|do life anymore|keep doing life|exist like this|"
        r"go on|keep going|carry on)\b<NOTAFTER>",
    ),
    _rule(
        "no point in living",
        "wish",
        r"\b(?:no|dont see (?:a|the|any)|cant see (?:a|the|any)|dont see|see no|lost (?:the|any)|there is no|"
        r"theres no|there isnt (?:a|any)|whats the|what is the|whats even the|what even is the|wheres the|"
        r"never any|no real) point(?: (?:in|of|to|for))?(?: even)? (?:living|life|being alive|going on|"
        r"existing|"
        r"anything|any of (?:it|this)|it all|trying anymore|waking up|being here|staying alive|"
        r"me being here|carrying on|my life|continuing|keep going|me)\b",
    ),
    _rule(
        "no reason to live",
        "wish",
        r"\bno (?:reason|reasons|will|desire|motivation|wish) (?:to|for me to|left to|anymore to) "
        r"(?:live|keep living|keep going|go on|be alive|stay alive|wake up|exist|be here|continue|carry on)\b"
        r"<NOTAFTER>|\bnothing (?:left )?(?:to live for|worth living for|to keep me here|keeping me here|"
        r"to stay for)\b",
    ),
    _rule(
        "life not worth living",
        "wish",
        r"\b(?:life|living|my life|being alive|existing|this life)(?: (?:really|honestly|just|truly))? "
        r"(?:isnt|aint|is not|is no longer|no longer|not|wasnt|doesnt feel|doesnt seem|is never|"
        r"will never be)(?: (?:really|even|honestly|truly))? worth (?:living|it|the (?:pain|effort|trouble|"
        r"struggle)|continuing)\b",
    ),
    _rule(
        "want it all to end",
        "wish",
        r"\b(?:want|wanna|need|wish|praying for|pray for|hope for)(?: for)? (?:it all|everything|all of it|"
        r"my life|life|this life|my suffering|existence|this existence) (?:all )?to (?:end|be over|be done|"
        r"just end|stop(?= *(?:$|[.,!?;:]|forever|<FORGOOD>|permanently)))\b"
        r"|\b(?:want|wanna|need|wish) (?:for )?it (?:all )?to (?:end|stop|be over) (?:forever|<FORGOOD>|"
        r"permanently)\b",
    ),
    _rule(
        "waiting to die",
        "wish",
        r"\b(?:waiting|ready|praying|hoping) (?:to die|for death|for the end(?! of)|to be dead|"
        r"for it to (?:all )?end|for my life to end|to stop existing)\b",
    ),
    _rule(
        "death would be a relief",
        "wish",
        r"\b(?:death|dying|being dead|not existing|not being here|not waking up|to die|to not exist|"
        r"not to exist|to be gone|not being alive|to not wake up|to disappear|to just disappear|"
        r"it all ending)(?: (?:would|would honestly|would really|would just|just|honestly|really|"
        r"sometimes|seriously))? (?:be|sounds|seems|feels|looks|is|would feel|would be|is starting to sound|"
        r"is starting to look)(?: (?:so|like|a|such a|kind of|kinda|pretty|really|so much|almost|the)){0,3} "
        r"(?:peaceful|nice|good|better|easier|relief|relieving|appealing|welcome|tempting|comforting|"
        r"freeing|freedom|amazing|great|calming|answer|only way out|way out|escape|solution|best option|"
        r"rest)\b",
    ),
    _rule(
        "let something kill me",
        "wish",
        r"\b(?:pray|praying|prayed|hope|hoping|wish|wishing|want|asking|begging|beg)(?: that)? (?:god|"
        r"the lord|jesus|someone|somebody|something|a \w+|the universe|death|life) (?:(?:would|will|to|"
        r"could|just|finally|please) ){0,3}(?:takes?|kills?|ends?|hits?|runs? me over|comes? for|strikes?)"
        r"(?: me| my life)\b"
        r"|\b(?:hope|hoping|wish|wishing|pray|praying)(?: that)? (?:i )?(?:get|got|would get|could get|"
        r"end up|ended up|get into|got into|die in|died in|be in|was in) (?:in |into |hit by |killed in |"
        r"run over by )?(?:a|an|some) (?:\w+ )?(?:accident|crash|wreck|car|bus|truck|train)\b"
        r"|\b(?:hope|hoping|wish|wishing|pray|praying)(?: that)? i (?:get|got|would get|could get) "
        r"(?:hit|killed|run over)\b"
        r"|\bif (?:a|the|some) (?:\w+ )?(?:bus|car|truck|train|plane|semi) (?:hit|hits|ran over|runs over|"
        r"killed|kills|crashed into|crashes into|would hit) me\b"
        r"|\b(?:welcome|welcoming|embrace|embracing|invite|inviting) (?:death|dying|the end)\b"
        r"|\b(?:wouldnt|would not|wont) (?:even )?(?:mind|care about) (?:dying|being dead|if i died|"
        r"if i didnt wake up|not waking up|if it killed me|death)\b",
    ),
    _rule("give up on life", "wish", r"\b(?:give|giving|gave|given) up on (?:life|living|being alive|staying alive)\b"),
    _rule(
        "stop existing",
        "wish",
        r"\b(?:disappear|vanish)(?: \w+)? (?:forever|<FORGOOD>|permanently|and never come back|"
        r"off the face of the earth)\b|\b(?:stop|cease|ceasing|stopped|stopping) (?:to )?(?:exist|existing)\b"
        r"(?! for (?:a|an|one|\d+|like a) (?:minute|minutes|second|seconds|moment|while|bit|hour|min))"
        r"|\b(?:to|rather|just|could|id) not exist\b",
    ),
    _rule(
        "wish for own death",
        "wish",
        r"\b<WISHCUE>(?: <FILLER>){0,6} <DEATHSTATE>\b"
        r"(?! (?:of|from|laughing|laughter|for|inside)\b)<DEADIDIOM><THANFIG>",
    ),
    _rule(
        "why keep living",
        "wish",
        r"\b(?:why|what for|no reason|(?:dont|do not|cant|can not|cannot) see (?:why|the reason|a "
        r"reason))(?: (?:should i|i should|would i|even bother|"
        r"do i|bother|even|to|i need to|i have to|i would|id))? (?:keep living|keep going|go on living|"
        r"living|"
        r"go on|live|be alive|stay alive|keep waking up|wake up|exist|keep existing)\b<NOTAFTER>"
        r"|\b(?:dont|do not|no longer) want to be (?:a )?part of (?:it|this|life|this world|anything) "
        r"(?:anymore|any more|any longer)\b",
    ),
    _rule(
        "fine if i died",
        "wish",
        r"\bif i (?:died|were to die|was to die|didnt wake up|dont wake up|never woke up|was dead|were dead|"
        r"passed away|just died)\b[^.!?;]{0,30}?\b(?:ok|okay|fine|alright|relieved|wouldnt mind|"
        r"would not mind|wouldnt care|dont care|welcome it|happy|at peace)\b"
        r"|\b(?:ok|okay|fine|at peace) (?:with|if i) (?:dying|dies|died|not waking up|never waking up)\b",
    ),
    _rule(
        "passive ideation",
        "wish",
        r"\bpassive(?:ly)? (?:<SUICIDAL> )?(?:thoughts?|ideation|si|death wish|wish to die)\b|\bdeath wish\b",
        topic=True,
    ),
    # ---- uncertain: preparation signs (two or more distinct ones count as intent)
    _rule(
        "giving things away",
        "sign",
        r"\b(?:gave|giving|give|given) away (?:(?:all|most|some|the rest|a lot|lots) (?:of )?)?"
        r"(?:my|everything)\b|\b(?:gave|giving|give|given) (?:my|all my|most of my|everything|it all) "
        r"(?:\w+ )?away\b",
    ),
    _rule(
        "goodbyes",
        "sign",
        r"\b(?:said|saying|say|written|wrote|writing|sent|sending) (?:all )?(?:my |our )?(?:final |last )?"
        r"goodbyes\b|\b(?:final|last) goodbye\b",
    ),
    _rule(
        "not around much longer",
        "sign",
        r"\b(?:wont|will not|not going to|not gonna|wont even|might not|may not) be (?:here|around) "
        r"(?:much longer|for much longer|for long|long|anymore|any more|any longer|next (?:week|month|time)|"
        r"tomorrow|by)\b(?![^.!?;]{0,30}\b(?:vacation|holiday|trip|travel\w*|away|out of town|conference|"
        r"visiting|work)\b)|\b(?:after|when|once) im (?:gone|dead|not here|not around)\b",
    ),
    _rule(
        "gun access",
        "sign",
        r"\b(?:have|got|bought|buy|buying|get|getting|keep|kept|holding|hold|took out|take out|found|"
        r"cleaning) "
        r"(?:a|the|my|his|her|dads|my dads|my husbands|a loaded) (?:gun|guns|pistol|rifle|shotgun|handgun|"
        r"revolver|firearm)\b",
    ),
    _rule(
        "lethal amount",
        "sign",
        r"\b(?:lethal|fatal|deadly) (?:dose|doses|amount|amounts|quantity)\b"
        r"|\bhow (?:many|much) (?:\w+ ){0,4}?(?:would it take|does it take|would|to|until|before|is|are|will|"
        r"could|do you need|would you need) (?:\w+ ){0,3}?(?:kill|die|dangerous|lethal|fatal|deadly|"
        r"overdose|od|not wake up)\b"
        r"|\blooked up (?:how to (?:die|kill|end|overdose|od|hang|do it)|ways to (?:die|kill|end)|"
        r"painless ways|methods|how many|how much)\b|\blooked up how\s*(?:$|[.,!?;:])",
    ),
    _rule(
        "saving medication",
        "sign",
        r"\b(?:saving|saved|keeping|kept|hiding|hid|stashing|collecting) (?:up )?(?:my|the|all my|extra) "
        r"(?:\w+ )?"
        r"<MEDS>\b(?! (?:from|at|for (?:the|my|tomorrow|later|tonight|when))\b)",
    ),
    _rule(
        "means at hand",
        "sign",
        r"\b(?:bought|buy|buying|got|get|getting|have|found|tied|tying|hanging up|hung up) (?:a |some |the |"
        r"my )?"
        r"(?:rope|ropes|charcoal|helium|razor blades?)\b",
    ),
    # ---- hints: silent alone; they add to a sign or to any other risk finding
    _rule(
        "going to do it",
        "hint",
        r"\b(?:<FUTURE>|finally|actually)(?: <ADV>){0,2} (?:do it|doing it|go through with (?:it|this))\b"
        r"|\b(?:tonight|today|tomorrow|this weekend)(?: is|s) the (?:night|day)\b",
    ),
    _rule(
        "taking them now",
        "hint",
        r"\b(?:<FUTURE>|im|i am)(?: <ADV>){0,2} (?:take|taking|swallow|swallowing) (?:them|these|those|it) "
        r"(?:all )?(?:tonight|now|today|at once|all at once|tomorrow|this weekend)\b"
        r"|\b(?:got|have|bought|collected|ive got) (?:the|all the|all my|enough) <MEDS>\b(?! (?:from|at|"
        r"for)\b)",
    ),
    _rule(
        "note written",
        "hint",
        r"\b(?:wrote|written|writing|left|finished) (?:the|my|a) (?:note|notes|letter|letters)\b(?! (?:to|"
        r"for) "
        r"(?:my |the )?(?:landlord|boss|teacher|school|work|therapist|doctor|nurse|clinic|insurance)\b)",
    ),
    _rule(
        "leaving tonight",
        "hint",
        r"\b(?:im|i am) (?:going|leaving|gone) (?:tonight|today|now|soon)\s*(?=$|[.!])",
    ),
    _rule(
        "last message",
        "hint",
        r"\b(?:this is|these are|here is|heres) (?:my )?(?:last|final) (?:message|text|words|note)\b"
        r"|\b(?:the |my )?plans? (?:is|are) (?:set|made|in place|ready|final)\b",
    ),
    _rule(
        "skipping care",
        "hint",
        r"\b(?:wont|will not|not going to|not gonna|wont be able to) (?:be in|be at|be coming|come|make it|need) "
        r"(?:in )?(?:for |to )?(?:my |the )?(?:next )?(?:session|appointment|infusion|treatment|visit)s?\b",
    ),
    _rule(
        "decision made",
        "hint",
        r"\b(?:ive|i have|i) (?:made my decision|made up my mind|decided)\s*(?=$|[.!])",
    ),
    _rule(
        "ready",
        "hint",
        r"\b(?:got|have|has|get|getting) everything (?:ready|in place|sorted|set up|planned|lined up)\b"
        r"|\beverything(?: is|s) (?:ready|in place|planned|set up)\b",
    ),
    _rule(
        "alcohol with pills",
        "sign",
        r"\b(?:vodka|whiskey|whisky|alcohol|wine|booze|liquor|rum|tequila) and (?:my |the |all my |some "
        r")?<MEDS>\b"
        r"|\b<MEDS> and (?:a bottle of |some )?(?:vodka|whiskey|whisky|alcohol|wine|booze|liquor|rum|"
        r"tequila)\b",
    ),
    _rule("i'm done", "mood", r"\b(?:im|i am) (?:so |just |fucking |completely |really )?done\s*(?=$|[.!])"),
    _rule(
        "knows how",
        "hint",
        r"\b(?:know|knows|figured out|decided) (?:how|where|when) (?:im going to|im gonna|i will|ill|id|"
        r"i would|to|i am going to) do it\b|\b(?:have|got|found|know) (?:a|the) (?:way|method|means) "
        r"(?:to do it|to die|to end it|to end things|how to do it)\b",
    ),
    # ---- uncertain
    _rule(
        "suicide mentioned",
        "concern",
        r"\b(?:<SUICIDE>|<SUICIDAL>|unalive\w*)(?: (?:thoughts?|ideation|feelings?|urges?|attempts?|"
        r"thinking|ideas?))?\b",
        topic=True,
    ),
    _rule(
        "about someone else",
        "concern",
        r"\b(?:kill|killed|kills|killing|hang|hanged|hanging|hung|shot|shoot|shoots|shooting|drown|drowned|"
        r"harm|harmed|harming|hurt|hurting|hurts|cut|cutting|cuts|overdosed|poisoned|end|ended|ending|take|"
        r"took|taking) (?:himself|herself|themselves|themself|yourself|yourselves|ourselves|"
        r"(?:his|her|their) (?:own )?li(?:fe|ves))\b|\bkys\b",
        accident=True,
    ),
    _rule(
        "overdose mentioned",
        "concern",
        r"\b(?:overdose|overdosed|overdosing|over dose|over dosed|overdoses)\b(?! (?:risk|risks|warning|"
        r"warnings|information|info|symptoms|signs|precautions|prevention|reversal|kits?|antidote|training|"
        r"awareness)\b)|\b(?:take|took|taking|takes|swallow|swallowed) too (?:many|much)\b",
    ),
    _rule(
        "thoughts of death",
        "concern",
        r"\b(?:thinking|thought|thoughts|think|thinkin|obsessing|obsessed|fixated|dreaming|fantasizing|"
        r"fantasising|ruminating|daydreaming|wondering|picturing|imagining)(?: (?:a lot|so much|constantly|"
        r"all the time|more|"
        r"too much|lately|again|every day|often|sometimes))?(?: (?:about|of|abt|on))? (?:my own |my "
        r")?(?:death|"
        r"dying|being dead|not being here|not being alive|not existing|disappearing|not waking up|ending it|"
        r"ending things|it all ending|jumping|the end|my funeral|funeral|how i would die|how to die|"
        r"going to sleep forever)\b(?! of\b)"
        r"|\b(?:death|dying|suicide|not being here|ending it)(?: (?:has been|is|keeps|been|was|is always|"
        r"always|"
        r"stays|is constantly|is still))?(?: \w+)? on my mind\b"
        r"|\b(?=(?:about|of|with) )(?<!scared )(?<!afraid )(?<!terrified )(?<!worried )(?<!fear )(?<!anxious )"
        r"(?:about|of|with) "
        r"(?:my own |my )?(?:death|dying|mortality)\b",
        topic=True,
    ),
    _rule(
        "dark thoughts",
        "concern",
        r"\b(?:dark|morbid|unsafe|grim|death) (?:thoughts?|places?|headspace|head space|spiral)\b"
        r"|\b(?:in|into) a (?:really |very |pretty |super )?(?:bad|dark|scary) (?:place|headspace|space)\b",
        topic=True,
    ),
    _rule(
        "not safe",
        "concern",
        r"\b(?:dont|do not|not|no longer|dont really|dont know if i|not sure (?:if |that |whether )?i|"
        r"not sure if im|not sure im|unsure if i) (?:feel |feeling |am |m |will be |ll be |can stay |"
        r"can keep myself |can be )?(?:safe|unsafe)\b(?! (?:driving|to drive|walking|in (?:my|the|this) "
        r"(?:car|neighborhood|neighbourhood|building|apartment|house|city|area)|at (?:work|home with|school)|"
        r"around (?:him|her|them|my)|with (?:him|her|them|my (?:husband|wife|partner|boyfriend|girlfriend|"
        r"ex|dad|mom|father|mother))|to (?:go|take|drive|eat|drink))\b)"
        r"|\b(?:feel|feeling|felt) unsafe with myself\b|\b(?:scared|afraid|terrified|frightened) of myself\b"
        r"|\b(?:dont|do not|cant|cannot|can not) trust myself\b(?! (?:with (?:money|food|the|my (?:budget|"
        r"diet))|"
        r"to (?:cook|drive|remember|make|choose|pick)))",
    ),
    _rule(
        "afraid of what i might do",
        "concern",
        r"\b(?:scared|afraid|terrified|worried|frightened|nervous) (?:of |about )?what i (?:might|could|will|"
        r"would|may|am going to|m going to|ll|am capable of) do\b|\b(?:might|could|will|ill|gonna|"
        r"going to|may) do something (?:stupid|dumb|drastic|i regret|bad|permanent|final|irreversible)\b",
    ),
    _rule(
        "want to disappear",
        "concern",
        r"\b(?:want|wanna|wish|wishing|need|just want|would like|rather)(?: to| i could| i could just| to "
        r"just)? "
        r"(?:disappear|vanish|be gone|fade away)\b(?! (?:into|under|for (?:a|the|an)|in (?:a|the)|from "
        r"(?:social|"
        r"the internet|work)|on (?:a|the)|to (?:a|the))\b)",
    ),
    _rule(
        "do not want to be here",
        "concern",
        r"\b(?:dont|do not|no longer) (?:really |even |just )?(?:want|wanna) to be here\s*(?=$|[.,!?;:])",
    ),
    _rule("dead inside", "concern", r"\b(?:dead|died|dying) inside\b|\bfeel (?:like )?(?:im )?already dead\b"),
    _rule(
        "cannot take it anymore",
        "concern",
        r"\b(?:cant|can not|cannot|couldnt|can no longer|no longer) (?:do this|do it|take (?:it|this|much "
        r"more)|"
        r"handle (?:it|this|life|anything)|keep doing this|cope|deal|do life|hold on|keep fighting|"
        r"fight (?:it|this)|bear (?:it|this)) (?:anymore|any more|any longer|much longer)\b"
        r"|\b(?:dont|do not) know how (?:much )?(?:longer|long) i (?:can|could|will|am going to|m going to) "
        r"(?:do this|take|keep|go on|handle|hold on|last|survive|cope|live|stay)\b"
        r"|\bhow much (?:more|longer) (?:of this )?i can (?:take|handle|do|bear|stand)\b"
        r"|\b(?:dont know if i can|not sure i can|not sure if i can|dont think i can) (?:keep going|go on|"
        r"keep living|carry on|keep doing this|do this anymore|hold on)\b<NOTAFTER>",
    ),
    _rule(
        "giving up",
        "concern",
        r"\b(?:want to|wanna|ready to|going to|gonna|feel like|feeling like|felt like|about to|close to) "
        r"(?:just )?(?:give up|giving up)\b(?! on (?:the|my|this|that|it|dieting|trying to|him|her|them|work|"
        r"school)\b)|\b(?:tired of|sick of|done) (?:fighting|trying)(?: anymore)?\s*(?:$|[.,!?;:])",
    ),
    _rule(
        "hopeless",
        "concern",
        r"\b(?:everything|life|it all|my life|existence|living)(?: (?:just|really|honestly|kind of|kinda|"
        r"so))? "
        r"(?:feels|is|seems|has become|became)(?: (?:so|just|completely|totally|kind of|kinda|utterly|really|"
        r"pretty))? (?:pointless|meaningless|hopeless|futile)\b"
        r"|\bnothing matters(?= anymore|\s*(?:$|[.,!?;:]))|\bno way out\b|\b(?:its|it is) (?:all )?over for "
        r"me\b"
        r"|\b(?:whats|what is|whats even|what even is|wheres) the point\b(?= ?(?:anymore|any more|"
        r"of (?:it all|trying|even trying|any of it)|$|[.,!?;:]))"
        r"|\b(?:done|finished) with (?:it all|everything|all of it)\b(?! (?:for (?:today|tonight|the day|"
        r"now)|"
        r"on my list)\b)",
    ),
)


# --------------------------------------------------------------------------------------------------
# Context of a match

_NEGATORS = _words(
    "not", "no", "never", "dont", "doesnt", "didnt", "wont", "wouldnt", "cant", "cannot", "couldnt", "isnt",
    "arent", "wasnt", "werent", "havent", "hasnt", "hadnt", "nor", "without", "zero", "nothing", "none",
    "nope", "denies", "deny", "denied", "free", "stopped", "quit",
)  # fmt: skip
_BRIDGES = _words(
    "would", "will", "ever", "even", "going", "gonna", "to", "want", "wanna", "intend", "intending",
    "intention", "intentions", "plan", "plans", "planning", "of", "about", "abt", "on", "any", "have", "had",
    "has", "been", "be", "being", "am", "is", "are", "was", "were", "thinking", "think", "thought",
    "thoughts", "feel", "feeling", "felt", "actually", "really", "truly", "seriously", "currently", "again",
    "longer", "more", "anymore", "try", "trying", "tried", "do", "did", "doing", "urge", "urges", "desire",
    "desires", "wish", "wishes", "wanted", "wanting", "real", "serious", "a", "the", "at", "all", "single",
    "once", "like", "that", "way", "in", "experiencing", "experienced", "having", "getting", "got", "get",
    "suicidal", "suicide", "self", "harm", "harming", "hurting", "myself", "killing", "or", "nor", "kind",
    "sort", "slightest", "least", "remotely", "honestly", "life", "my", "ideation", "ending", "need", "needed",
)  # fmt: skip
_DOUBT = _words("promise", "guarantee", "sure", "say", "know", "swear", "certain", "think", "tell", "trust")
_FIRST_PERSON = _words("i", "im", "ive", "id", "ill", "me", "my", "myself")
_THIRD_PERSON = _words(
    "he", "she", "they", "hes", "shes", "theyre", "him", "his", "her", "hers", "them", "their", "friend",
    "friends", "brother", "sister", "mom", "mum", "mother", "dad", "father", "son", "daughter", "husband",
    "wife", "partner", "boyfriend", "girlfriend", "bf", "gf", "cousin", "uncle", "aunt", "grandma",
    "grandpa", "grandmother", "grandfather", "someone", "somebody", "people", "person", "patient",
    "patients", "coworker", "colleague", "kid", "kids", "child", "roommate", "character", "guy", "girl",
    "man", "woman", "boy", "ex", "neighbor", "neighbour", "student", "client", "nephew", "niece",
)  # fmt: skip

_BREAK = _compile(r"[.,!?;:]|\b(?:but|though|although|however|except|whereas|anyway|anyways)\b")
_FUTURE_TAIL = _compile(r"(?:^|\s)<FUTURE>(?: <ADV>){0,2}$")
_URGE_TAIL = _compile(
    r"(?:^|\s)(?:want to|wanna|wanting to|wanted to|would like to|id like to|wish i could|tempted to|"
    r"urge to|urges to|urges|urge|need to|needed to|have to|feel like|felt like|feeling like|"
    r"thinking about|thinking of|think about|thought about|thoughts of|thoughts about|thinking abt|"
    r"cravings to|craving to|craving|considering|contemplating|dreaming of|fantasizing about|"
    r"scared ill|afraid ill|worried ill|scared i will|afraid i will|scared i might|afraid i might|might|"
    r"could|tempting to)(?: <ADV>){0,2}(?: again)?$"
)
_URGE_AFTER = _compile(r"^ (?:urges?|thoughts?|cravings?|urge)\b")
_ACT_CUES = _compile(
    r"\b(?:relapsed|relapse|relapsing|did|ended up|been|started|again|last night|yesterday|tonight|"
    r"this morning|today|harmed|harming|injured|injuring)\b"
)
_HISTORY_BEFORE = _compile(
    r"\bused to\b|\bwhen i was\b|\bback (?:then|when|in)\b|\bbefore (?:ketamine|treatment|the infusions?|"
    r"the sessions?|starting|i started)\b"
)
_HISTORY_AFTER = _compile(
    r"\b(?:(?:\d+|a|one|two|three|four|five|six|seven|eight|nine|ten|a few|few|many|several|a couple of|"
    r"a couple|couple of) )?(?:years?|yrs?|decades?) ago\b|\bwhen i was\b|\bas a (?:kid|child|teen|"
    r"teenager)\b|"
    r"\bin (?:high school|middle school|college|my teens|my twenties)\b|\bback (?:then|in)\b"
)
_ACCIDENT_BEFORE = _compile(r"\b(?:accidentally|by accident|fell and|tripped and|slipped and)\s*$")
_ACCIDENT_AFTER = _compile(
    r"^[^.!?;]{0,40}?\b(?:by accident|accidentally|shaving|cooking|chopping|slicing|at the gym|at work|"
    r"playing|lifting|running|working out|some slack|a break|on (?:the|a|an) (?:hot )?(?:stove|oven|pan|"
    r"iron|curling iron|straightener|grill|kettle|door|corner|table|glass|knife|nail|rock|fence|can|"
    r"paper|counter|heater|radiator|fire|bbq|metal|edge|screw|wire|bike|stairs))\b"
)
_PASSIVE_TAIL = _compile(r"\bpassive(?:ly)?(?: \w+)?\s*$")
_POST_NEGATION = _compile(
    r"^\s*(?:[:=?]\s*)*(?:none|no|nope|nah|zero|0|never|nil|not really|not at all|not once)\b"
    r"(?!\s+(?:one|body|matter|idea|way|longer))"
    r"|^\s*,?\s*(?:and|but)\s+(?:honestly\s+|truthfully\s+|the answer (?:is|was)\s+)?(?:no|nope|none|never)\b"
    r"(?!\s+(?:one|body|matter|idea|way|longer))"
    r"|^\s*(?:are|is|have|has|were|was)\s+(?:\w+\s+)?(?:gone|over|stopped|disappeared|went away|gone away|"
    r"lifted|nonexistent|non existent|absent)\b"
)
_NO_PLAN = _compile(
    r"\b(?:no|dont have a|dont have any|do not have a|without a|without any|not making a|havent made a|"
    r"have no) (?:real |actual |specific |concrete )?(?:plan|plans|intent|intention|intentions)\b"
    r"(?! (?:for|this|today|tonight|tomorrow|yet|on|with|to (?:go|see|visit|get|be))\b)"
    r"|\b(?:not|never|no) (?:going to|gonna|planning to|planning on|intending to|about to|intend to) "
    r"(?:act on|do anything|do it|actually do|go through with)\b"
    r"|\b(?:wouldnt|would not|wont|will not|would never|will never|never) (?:act on|do anything about|"
    r"actually do|go through with)\b"
)


def _is_negated(tokens: list[str]) -> bool:
    """A negator shortly before the match, joined to it only by bridge words ("no thoughts of")."""
    for k in range(len(tokens) - 1, max(-1, len(tokens) - 8), -1):
        word = tokens[k]
        if word in _NEGATORS:
            earlier = tokens[:k]
            if earlier and earlier[-1] in _NEGATORS:  # "never stopped wishing", "didnt stop"
                return False
            # "i cant promise i wont hurt myself": a doubted denial is not a denial.
            return not any(
                w in _NEGATORS and any(d in _DOUBT for d in earlier[j + 1 : j + 3]) for j, w in enumerate(earlier)
            )
        if word not in _BRIDGES:
            return False
    return False


_INVERSION_AUX = _words("would", "will", "could", "have", "did", "do", "should", "am")
_INVERSION_NEGATORS = _words("never", "nowhere")


def _is_inverted_negation(tokens: list[str]) -> bool:
    """Negative inversion: "never in a million years would i hurt myself"."""
    for k in range(len(tokens) - 1, max(0, len(tokens) - 6), -1):
        if tokens[k] == "i" and tokens[k - 1] in _INVERSION_AUX:
            return any(t in _INVERSION_NEGATORS for t in tokens[: k - 1])
        if tokens[k] not in _BRIDGES:
            return False
    return False


def _about_someone_else(tokens: list[str]) -> bool:
    """The nearest pronoun or person before the match is not the writer."""
    for word in reversed(tokens):
        if word in _FIRST_PERSON:
            return False
        if word in _THIRD_PERSON:
            return True
    return False


@dataclass(frozen=True)
class _Finding:
    level: RiskLevel
    rule: str
    quote: str
    note: str = ""
    act: bool = False
    ideation: bool = False

    def describe(self) -> str:
        text = f"{self.level.value}: '{self.quote}'"
        return f"{text} ({self.note})" if self.note else text


class _Text:
    """A normalised message with what is needed to judge each match in context."""

    def __init__(self, raw: str) -> None:
        self.base = _base(raw)
        self.norm, self.origin = _normalise(self.base)
        self.breaks = [m.end() for m in _BREAK.finditer(self.norm)]
        self.break_starts = [m.start() for m in _BREAK.finditer(self.norm)]

    def clause_start(self, pos: int) -> int:
        i = bisect_right(self.breaks, pos) - 1
        return self.breaks[i] if i >= 0 else 0

    def clause_end(self, pos: int) -> int:
        i = bisect_right(self.break_starts, pos - 1)
        return self.break_starts[i] if i < len(self.break_starts) else len(self.norm)

    def quote(self, start: int, end: int) -> str:
        if start >= end:
            return ""
        text = self.base[self.origin[start] : self.origin[end - 1] + 1].strip()
        return text if len(text) <= _QUOTE_LIMIT else text[: _QUOTE_LIMIT - 3] + "..."


def _judge(text: _Text, rule: _Rule, match: re.Match[str]) -> _Finding | None:
    norm = text.norm
    core_start, core_end = match.span("core") if "core" in rule.pattern.groupindex else match.span()
    start, end = match.span()
    clause = text.clause_start(core_start)
    before = norm[clause:core_start].strip()
    tokens = before.split()
    after = norm[end : text.clause_end(end)]
    quote = text.quote(start, end)
    if rule.spelled is not None and not rule.spelled.search(quote):
        return None

    if _is_negated(tokens) or _is_inverted_negation(tokens):
        return _Finding(RiskLevel.none, rule.name, quote, "negated")
    if rule.kind in ("hint", "mood"):
        return _Finding(RiskLevel.none, rule.name, quote, rule.kind)
    if rule.topic and _POST_NEGATION.search(norm[end : end + 40]):
        return _Finding(RiskLevel.none, rule.name, quote, "denied")
    if rule.accident and (_ACCIDENT_BEFORE.search(before) or _ACCIDENT_AFTER.search(norm[end : end + 60])):
        return _Finding(RiskLevel.none, rule.name, quote, "accidental injury")

    level = _LEVEL_OF_KIND[rule.kind]
    if level is RiskLevel.uncertain:
        note = "preparation sign" if rule.kind == "sign" else ""
        return _Finding(level, rule.name, quote, note)

    if _HISTORY_BEFORE.search(before) or _HISTORY_AFTER.search(after):
        return _Finding(RiskLevel.uncertain, rule.name, quote, "past history")
    match_words = set(norm[start:end].split())
    if not (match_words & _FIRST_PERSON) and _about_someone_else(tokens):
        return _Finding(RiskLevel.uncertain, rule.name, quote, "about someone else")

    stated_intent = bool(_FUTURE_TAIL.search(before))
    if rule.kind in ("harm", "harm_noun"):
        if _URGE_TAIL.search(before) or _URGE_AFTER.search(norm[core_end:]):
            return _Finding(RiskLevel.self_harm, rule.name, quote, "thoughts")
        if stated_intent:
            return _Finding(RiskLevel.intent, rule.name, quote, "stated intent to self-harm")
        if rule.kind == "harm_noun" and not _ACT_CUES.search(f"{before} {norm[start:end]} {after}"):
            return _Finding(RiskLevel.self_harm, rule.name, quote, "thoughts")
        return _Finding(RiskLevel.self_harm, rule.name, quote, "act", act=True)
    if rule.kind == "plan":
        return _Finding(RiskLevel.intent, rule.name, quote, "plan or preparation")
    if rule.kind == "ideation":
        if stated_intent:
            return _Finding(RiskLevel.intent, rule.name, quote, "stated intent")
        if _PASSIVE_TAIL.search(before):
            return _Finding(RiskLevel.passive, rule.name, quote, "passive ideation")
        return _Finding(RiskLevel.intent, rule.name, quote, "active ideation", ideation=True)
    return _Finding(RiskLevel.passive, rule.name, quote)


_RANK = {
    RiskLevel.none: 0,
    RiskLevel.uncertain: 1,
    RiskLevel.passive: 2,
    RiskLevel.self_harm: 3,
    RiskLevel.intent: 4,
}


def _index_triggers(rules: tuple[_Rule, ...]) -> dict[str, frozenset[int]]:
    index: dict[str, set[int]] = {}
    for number, rule in enumerate(rules):
        for trigger in rule.triggers:
            index.setdefault(trigger, set()).add(number)
    return {trigger: frozenset(numbers) for trigger, numbers in index.items()}


_TRIGGER_INDEX = _index_triggers(_RULES)
_LONGEST_TRIGGER = max(len(trigger) for trigger in _TRIGGER_INDEX)
_WORD = re.compile(r"[^\W_]+")


def _rules_to_run(norm: str) -> list[_Rule]:
    """The rules whose triggers start some word of the text, in table order."""
    numbers: set[int] = set()
    for word in set(_WORD.findall(norm)):
        for size in range(1, min(len(word), _LONGEST_TRIGGER) + 1):
            hit = _TRIGGER_INDEX.get(word[:size])
            if hit:
                numbers.update(hit)
    return [_RULES[n] for n in sorted(numbers)]


def _findings(text: _Text) -> list[_Finding]:
    found: list[_Finding] = []
    norm = text.norm
    for rule in _rules_to_run(norm):
        for match in rule.pattern.finditer(norm):
            finding = _judge(text, rule, match)
            if finding is not None:
                found.append(finding)
    return found


_NOT_ABOUT_WRITER = frozenset({"about someone else", "overdose mentioned", "suicide mentioned"})


def _settle(found: Iterable[_Finding], text: _Text) -> list[_Finding]:
    """Message-level adjustments: a stated "no plan" and several preparation signs."""
    settled = list(found)
    if _NO_PLAN.search(text.norm) and not any(f.level is RiskLevel.intent and not f.ideation for f in settled):
        settled = [
            _Finding(RiskLevel.passive, f.rule, f.quote, "ideation, no plan stated") if f.ideation else f
            for f in settled
        ]
    signs = {f.rule for f in settled if f.note == "preparation sign"}
    plan_hints = {f.rule for f in settled if f.note == "hint"}
    hints = plan_hints | {f.rule for f in settled if f.note == "mood"}
    other_risk = any(
        _RANK[f.level] >= _RANK[RiskLevel.passive]
        or (f.level is RiskLevel.uncertain and f.note == "" and f.rule not in _NOT_ABOUT_WRITER)
        for f in settled
    )
    cues = ", ".join(sorted(signs | hints))
    if signs and len(signs) + len(hints) >= 2:
        settled.append(_Finding(RiskLevel.intent, "preparation signs", cues, "several preparation signs"))
    elif plan_hints and other_risk:
        settled.append(_Finding(RiskLevel.intent, "preparation signs", cues, "plan hinted alongside risk"))
    elif len(hints) >= 2:
        settled.append(_Finding(RiskLevel.uncertain, "preparation signs", cues, "several hints of a plan"))
    return settled


def assess(text: str) -> RiskAssessment:
    """Judge one free-text message for risk language."""
    normalised = _Text(text)
    found = _settle(_findings(normalised), normalised)
    risk = [f for f in found if f.level is not RiskLevel.none]
    if not risk:
        ignored = tuple(
            dict.fromkeys(f"ignored ({f.note}): '{f.quote}'" for f in found if f.note not in ("hint", "mood"))
        )
        return RiskAssessment(RiskLevel.none, None, ignored)

    level = max((f.level for f in risk), key=_RANK.__getitem__)
    severity: Severity
    if level is RiskLevel.intent:
        severity = "urgent"
    elif level is RiskLevel.self_harm:
        severity = "urgent" if any(f.act for f in risk if f.level is RiskLevel.self_harm) else "high"
    else:
        severity = "high"
    ordered = sorted(risk, key=lambda f: -_RANK[f.level])
    return RiskAssessment(level, severity, tuple(dict.fromkeys(f.describe() for f in ordered)))
