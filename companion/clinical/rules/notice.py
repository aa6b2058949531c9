"""What the patient is told after findings: the safety reply, the medical reply or nothing
(docs/clinical.md, "What the patient is told"). The SMS reply and the app's notice both come from
here, so the two channels always say the same."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from companion.clinical.rules.events import Finding

__all__ = ["NoticeKind", "reply_kind", "reply_kind_of"]

NoticeKind = Literal["safety", "medical"]


def reply_kind_of(safety_replies: Iterable[str]) -> NoticeKind | None:
    """The safety reply if any finding asks for it, else the medical reply if one asks for that,
    else nothing. Takes each finding's ``safety_reply`` ("safety", "medical" or "none")."""
    kinds = set(safety_replies)
    if "safety" in kinds:
        return "safety"
    if "medical" in kinds:
        return "medical"
    return None


def reply_kind(findings: Iterable[Finding]) -> NoticeKind | None:
    """:func:`reply_kind_of` for findings of the rules engine."""
    return reply_kind_of(finding.safety_reply for finding in findings)
