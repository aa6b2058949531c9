import pytest

from companion.clinical.instruments import UnknownInstrument
from companion.clinical.scoring import (
    Score,
    cssrs_risk,
    cssrs_risk_so_far,
    gad7_band,
    gad7_total,
    is_remission,
    is_response,
    mood_baseline,
    phq9_band,
    phq9_item9_flag,
    phq9_total,
    score,
)


def phq9(*items: int) -> dict[str, object]:
    return {f"phq9_{n}": value for n, value in enumerate(items, start=1)}


def gad7(*items: int) -> dict[str, object]:
    return {f"gad7_{n}": value for n, value in enumerate(items, start=1)}


def spread(total: int, count: int) -> list[int]:
    """`count` item values of 0-3 adding up to `total`."""
    values = []
    for _ in range(count):
        value = min(3, total)
        values.append(value)
        total -= value
    assert total == 0
    return values


# --- totals and bands ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "moderately_severe"),
        (19, "moderately_severe"),
        (20, "severe"),
        (27, "severe"),
    ],
)
def test_phq9_band_edges(total: int, band: str) -> None:
    assert phq9_band(total) == band
    answers = phq9(*spread(total, 9))
    assert phq9_total(answers) == total
    assert score("phq9", answers).band == band


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "severe"),
        (21, "severe"),
    ],
)
def test_gad7_band_edges(total: int, band: str) -> None:
    assert gad7_band(total) == band
    answers = gad7(*spread(total, 7))
    assert gad7_total(answers) == total
    assert score("gad7", answers) == Score(total=total, band=band, flags=())


@pytest.mark.parametrize("total", [-1, 28, 100])
def test_phq9_band_out_of_range(total: int) -> None:
    with pytest.raises(ValueError, match="0 to 27"):
        phq9_band(total)


@pytest.mark.parametrize("total", [-1, 22])
def test_gad7_band_out_of_range(total: int) -> None:
    with pytest.raises(ValueError, match="0 to 21"):
        gad7_band(total)


@pytest.mark.parametrize("total", [True, 5.0, "5"])
def test_band_needs_an_integer(total: object) -> None:
    with pytest.raises(ValueError):
        phq9_band(total)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        gad7_band(total)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "answers",
    [
        {},
        phq9(1, 1, 1, 1, 1, 1, 1, 1),  # eight of nine
        {**phq9(1, 1, 1, 1, 1, 1, 1, 1, 1), "phq9_5": None},
        {**phq9(1, 1, 1, 1, 1, 1, 1, 1), "gad7_1": 3},
    ],
)
def test_phq9_total_needs_all_nine(answers: dict[str, object]) -> None:
    assert phq9_total(answers) is None
    assert score("phq9", answers).total is None
    assert score("phq9", answers).band is None


def test_gad7_total_needs_all_seven() -> None:
    assert gad7_total(gad7(3, 3, 3, 3, 3, 3)) is None
    assert gad7_total(gad7(3, 3, 3, 3, 3, 3, 3)) == 21


def test_totals_ignore_other_keys() -> None:
    assert phq9_total({**phq9(0, 1, 2, 3, 0, 1, 2, 3, 0), "mood": 10, "note": "x"}) == 12


@pytest.mark.parametrize("bad", [4, -1, True, "2", 1.5])
def test_totals_reject_bad_stored_values(bad: object) -> None:
    with pytest.raises(ValueError, match="phq9_3"):
        phq9_total({**phq9(0, 0, 0, 0, 0, 0, 0, 0, 0), "phq9_3": bad})
    with pytest.raises(ValueError, match="gad7_7"):
        gad7_total({**gad7(0, 0, 0, 0, 0, 0, 0), "gad7_7": bad})


# --- PHQ-9 item 9 --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "flag"),
    [
        ({}, False),
        ({"phq9_9": 0}, False),
        ({"phq9_9": 1}, True),
        ({"phq9_9": 2}, True),
        ({"phq9_9": 3}, True),
        ({"phq9_9": None}, False),
        (phq9(0, 0, 0, 0, 0, 0, 0, 0, 1), True),  # whatever the total
        (phq9(3, 3, 3, 3, 3, 3, 3, 3, 0), False),
    ],
)
def test_phq9_item9_flag(answers: dict[str, object], flag: bool) -> None:
    assert phq9_item9_flag(answers) is flag
    assert ("phq9_item9" in score("phq9", answers).flags) is flag


def test_phq9_item9_flag_on_a_partial_questionnaire() -> None:
    result = score("phq9", {"phq9_9": 1})
    assert result == Score(total=None, band=None, flags=("phq9_item9",))


def test_phq9_score_with_item9_and_total() -> None:
    assert score("phq9", phq9(1, 1, 1, 1, 1, 1, 1, 1, 1)) == Score(total=9, band="mild", flags=("phq9_item9",))


# --- C-SSRS --------------------------------------------------------------------------------------


def cssrs(*yes: str, no_to_2: bool = False, recent: bool | None = None) -> dict[str, object]:
    """A complete screener with yes to the items named, following the skip logic."""
    answers: dict[str, object] = {"cssrs_1": "1" in yes, "cssrs_2": "2" in yes}
    if not no_to_2:
        answers |= {"cssrs_2": True, "cssrs_3": "3" in yes, "cssrs_4": "4" in yes, "cssrs_5": "5" in yes}
    answers["cssrs_6"] = "6" in yes
    if "6" in yes:
        assert recent is not None
        answers["cssrs_6_recent"] = recent
    return answers


@pytest.mark.parametrize(
    ("answers", "risk"),
    [
        pytest.param(cssrs(no_to_2=True), "none", id="all no"),
        pytest.param(cssrs("1", no_to_2=True), "low", id="1 only"),
        pytest.param(cssrs("2"), "low", id="2 only"),
        pytest.param(cssrs("1", "2"), "low", id="1 and 2"),
        pytest.param(cssrs("1", "2", "3"), "moderate", id="3"),
        pytest.param(cssrs("1", "2", "4"), "high", id="4"),
        pytest.param(cssrs("1", "2", "5"), "high", id="5"),
        pytest.param(cssrs("1", "2", "3", "4", "5"), "high", id="3 4 5"),
        pytest.param(cssrs("6", no_to_2=True, recent=True), "high", id="6 recent"),
        pytest.param(cssrs("6", no_to_2=True, recent=False), "moderate", id="6 long ago"),
        pytest.param(cssrs("1", "6", no_to_2=True, recent=False), "moderate", id="1 and 6 long ago"),
        pytest.param(cssrs("2", "3", "6", recent=False), "moderate", id="3 and 6 long ago"),
        pytest.param(cssrs("2", "3", "6", recent=True), "high", id="3 and 6 recent"),
        pytest.param(cssrs("1", no_to_2=True), "low", id="2 no skips 3-5"),
    ],
)
def test_cssrs_risk_every_path(answers: dict[str, object], risk: str) -> None:
    assert cssrs_risk(answers) == risk
    assert cssrs_risk_so_far(answers) == risk
    result = score("cssrs", answers)
    assert result.band == risk
    assert result.total is None
    assert result.flags == (() if risk == "none" else (f"cssrs_{risk}",))


@pytest.mark.parametrize(
    "answers",
    [
        {},
        {"cssrs_1": False},
        {"cssrs_1": False, "cssrs_2": True},  # 3-5 still to come
        {"cssrs_1": True, "cssrs_2": False},  # 6 still to come
        {"cssrs_1": False, "cssrs_2": False, "cssrs_6": True},  # 6_recent still to come
        {"cssrs_4": True},
    ],
)
def test_cssrs_risk_is_none_until_complete(answers: dict[str, object]) -> None:
    assert cssrs_risk(answers) is None
    assert score("cssrs", answers).band is None


@pytest.mark.parametrize(
    ("answers", "risk"),
    [
        ({}, "none"),
        ({"cssrs_1": False}, "none"),
        ({"cssrs_1": True}, "low"),
        ({"cssrs_1": False, "cssrs_2": True}, "low"),
        ({"cssrs_1": True, "cssrs_2": True, "cssrs_3": True}, "moderate"),
        ({"cssrs_4": True}, "high"),  # fires on the first answer that shows it
        ({"cssrs_1": True, "cssrs_2": True, "cssrs_3": False, "cssrs_4": True}, "high"),
        ({"cssrs_1": True, "cssrs_2": True, "cssrs_3": False, "cssrs_4": False, "cssrs_5": True}, "high"),
        ({"cssrs_1": False, "cssrs_2": False, "cssrs_6": True}, "moderate"),  # at least moderate
        ({"cssrs_1": False, "cssrs_2": False, "cssrs_6": True, "cssrs_6_recent": True}, "high"),
        ({"cssrs_6": False, "cssrs_6_recent": True}, "none"),  # "recent" alone means nothing
        ({"cssrs_1": 1, "cssrs_4": "yes"}, "none"),  # only a stored True is a yes
    ],
)
def test_cssrs_risk_so_far(answers: dict[str, object], risk: str) -> None:
    assert cssrs_risk_so_far(answers) == risk


def test_partial_high_is_flagged_before_the_screener_ends() -> None:
    result = score("cssrs", {"cssrs_1": True, "cssrs_2": True, "cssrs_3": True, "cssrs_4": True})
    assert result == Score(total=None, band=None, flags=("cssrs_high",))


def test_a_yes_the_skip_logic_would_not_ask_for_still_counts() -> None:
    answers = {**cssrs(no_to_2=True), "cssrs_4": True}
    assert cssrs_risk(answers) == "high"


# --- mood baseline -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moods", "baseline"),
    [
        ([], None),
        ([7], None),
        ([7, 8], None),  # fewer than 3 answers
        ([7, 8, 3], 7.0),
        ([2, 9, 5, 6], 5.5),  # even count: mean of the middle two
        ([1, 2, 3, 4, 5, 6], 3.5),
        ([5, 5, 5, 5, 5, 5, 5], 5.0),
        ([0, 0, 0, 0, 9, 9, 9, 9, 9, 9, 9], 9.0),  # only the last 7 count
        ([10, 10, 10, 1, 2, 3, 4, 5, 6, 7], 4.0),
        ([10, 1, 2, 3, 4, 5, 6, 7], 4.0),  # eight answers: the oldest drops out
        ((6, 7, 8), 7.0),
    ],
)
def test_mood_baseline(moods: list[int], baseline: float | None) -> None:
    result = mood_baseline(moods)
    assert result == baseline
    if baseline is not None:
        assert isinstance(result, float)


# --- response and remission ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("baseline", "current", "response"),
    [
        (20, 10, True),  # exactly 50%
        (20, 11, False),
        (20, 0, True),
        (21, 10, True),  # 52%
        (21, 11, False),  # 48%
        (1, 0, True),
        (10, 10, False),
        (10, 15, False),  # worse
        (0, 0, False),  # a baseline of 0 cannot fall
    ],
)
def test_is_response(baseline: int, current: int, response: bool) -> None:
    assert is_response(baseline, current) is response


def test_is_response_rejects_negative_totals() -> None:
    with pytest.raises(ValueError):
        is_response(-1, 0)
    with pytest.raises(ValueError):
        is_response(10, -1)


@pytest.mark.parametrize(("total", "remission"), [(0, True), (4, True), (5, False), (27, False)])
def test_is_remission(total: int, remission: bool) -> None:
    assert is_remission(total) is remission


def test_is_remission_rejects_negative_totals() -> None:
    with pytest.raises(ValueError):
        is_remission(-1)


# --- score for every instrument ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "answers", "expected"),
    [
        ("mood", {"mood": 7}, Score(total=7, band=None, flags=())),
        ("mood", {"mood": 0, "anxiety": 9, "sleep_hours": 3.0, "note": "rough"}, Score(0, None, ())),
        ("mood", {}, Score(total=None, band=None, flags=())),
        ("mood", {"mood": None}, Score(total=None, band=None, flags=())),
        (
            "post_session",
            {
                "home_safely": True,
                "dizziness": 0,
                "nausea": 1,
                "dissociation": 1,
                "headache": 0,
                "red_flags": False,
            },
            Score(total=None, band=None, flags=()),
        ),
        (
            "post_session",
            {"home_safely": False, "dizziness": 2, "red_flags": True},
            Score(
                total=None,
                band=None,
                flags=(
                    "post_session_red_flags",
                    "post_session_not_home_safely",
                    "post_session_strong_side_effect",
                ),
            ),
        ),
        ("post_session", {"headache": 2}, Score(None, None, ("post_session_strong_side_effect",))),
        ("gad7", gad7(1, 1), Score(total=None, band=None, flags=())),
    ],
)
def test_score(code: str, answers: dict[str, object], expected: Score) -> None:
    assert score(code, answers) == expected


def test_score_unknown_instrument() -> None:
    with pytest.raises(UnknownInstrument):
        score("bdi", {})
