"""The offline abuse and profanity screen."""

from __future__ import annotations

import pytest

from engagement.moderation.screening import ScreenCategory, screen, screen_many


def _terms(text: str) -> set[str]:
    return {flagged.term for flagged in screen(text)}


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("This plan is shit", "shit"),
        ("Total bollocks from start to finish", "bollocks"),
        ("the councillor is a wanker", "wanker"),
        ("What a load of sh1t", "shit"),
        ("you absolute w@nk3r", "wanker"),
        ("$hite idea", "shite"),
        ("fuuuuuuck this", "fuck"),
        ("f.u.c.k this council", "fuck"),
        ("f u c k this council", "fuck"),
        ("what the f**k are you doing", "fuck"),
        ("utter c*nt", "cunt"),
        ("Twats, the lot of you!", "twat"),
        ("FÜCK this", "fuck"),
        ("go and kill yourself", "kill yourself"),
        ("I know where you live", "i know where you live"),
        ("you're a retard", "retard"),
    ],
)
def test_screen_flags_abuse_through_obfuscation(text, term):
    assert term in _terms(text)


@pytest.mark.parametrize(
    "text",
    [
        "Scunthorpe and Penistone need better buses.",
        "The cockpit of the assessment is a classic.",
        "Spicy food stalls and spiced cider at the market.",
        "I pricked my finger on the hedge by the slag heap.",
        "The PIs of the study and the shell of the snail.",
        "A chink of light at the end of the tunnel for Essex.",
        "Please pass the hedge trimmer; I assume it is fine.",
        "",
    ],
)
def test_screen_leaves_ordinary_words_alone(text):
    assert screen(text) == ()


def test_screen_reports_the_graver_category_and_the_words_as_written():
    (flagged,) = screen("You absolute W@NK3R.")

    assert flagged.term == "wanker"
    assert flagged.category == ScreenCategory.ABUSE
    assert flagged.found == "W@NK3R"


def test_screen_many_lists_each_term_once_across_a_response_and_its_answers():
    found = screen_many(["shit plan", "Shit, really", "a twat wrote it"])

    assert sorted(entry["term"] for entry in found) == ["shit", "twat"]
    assert all(set(entry) == {"term", "category", "found"} for entry in found)
