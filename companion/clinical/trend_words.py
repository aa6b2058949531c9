"""A questionnaire's course in the patient's own words (docs/clinical.md, "What the patient is
told"): from the baseline to the latest score, and what that means when it is a response or a
remission. Pure: no I/O."""

from __future__ import annotations

from companion.clinical.scoring import is_remission, is_response


def trend_sentence(name: str, baseline: int | None, latest: int | None, *, judged: bool) -> str | None:
    """``name`` as the patient knows it ("your PHQ-9"); ``judged``: response and remission apply
    (the PHQ-9). None until there is a baseline and a later score."""
    if baseline is None or latest is None:
        return None
    if latest == baseline:
        return f"Since you started, {name} is where it was ({latest})."
    if latest > baseline:
        return (f"Since you started, {name} went up from {baseline} to {latest}. Higher means more "
                "symptoms; your care team sees this too, and you can tell them how you are.")
    sentence = f"Since you started, {name} went down from {baseline} to {latest}"
    if judged and is_remission(latest):
        return f"{sentence}: that is a remission (a score below 5)."
    if judged and is_response(baseline, latest):
        return f"{sentence}: that is a response (it has fallen by half or more)."
    return f"{sentence}. Lower means fewer symptoms."
