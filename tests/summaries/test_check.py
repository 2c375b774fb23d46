"""The check keeps prose true to the facts: crafted contradictions are dropped."""

from __future__ import annotations

import pytest

from hub.summaries.check import FactChecker, numbers_in, sentences
from hub.summaries.facts import Facts, Latency


@pytest.fixture
def facts() -> Facts:
    return Facts(
        since=0.0,
        until=86_400.0,
        events=5000,
        requests=2600,
        requests_by_source=(("mqtt", 1500), ("speech", 950), ("cli", 150)),
        outcomes=(("acted", 2300), ("not_understood", 80)),
        actions=2877,
        actions_by_device=(("light.kitchen", 804), ("cover.garage_door", 170)),
        failed_actions=52,
        failed_by_device=(("cover.garage_door", 46), ("light.kitchen", 6)),
        errors=33,
        errors_by_code=(("timeout", 30), ("mqtt_disconnected", 3)),
        unrecognized=80,
        offline_devices=(("light.porch", 2),),
        still_offline=("light.porch",),
        latency=Latency(count=2600, p50=24.3, p95=1278.0, max=1599.0),
        names=(
            ("light.kitchen", "Kitchen light"),
            ("cover.garage_door", "Garage door"),
            ("light.porch", "Porch light"),
        ),
    )


TRUE = [
    "The hub handled 2600 requests and sent 2877 device actions.",
    "The Kitchen light was the busiest device with 804 actions.",
    "The garage door failed 46 times.",
    "Requests took 24 ms at the median and 1278 ms at p95.",
    "The porch light went offline twice.",
    "80 requests were not understood, most at 14:05 on 2025-11-29.",
    "There were 33 errors, mostly timeouts (30).",
    "Kitchen light (804) and Garage door (170) were used most.",
    "The porch light went offline twice and the kitchen light was used 804 times.",
    "Kitchen light and Garage door had failed actions.",
    "Actions failed on: Garage door (46) and Kitchen light (6).",
    "The Porch light was still offline at the end.",
]
FALSE = [
    ("The hub handled 2700 requests.", "2700"),
    ("The Kitchen light was switched 805 times.", "Kitchen light"),
    ("The garage door failed 170 times.", "failed count of Garage door"),
    ("The kitchen light was used 46 times.", "Kitchen light"),
    ("Requests took 30 ms at the median.", "30 ms"),
    ("Nothing failed today.", "no errors"),
    ("There were no errors.", "no errors"),
    ("No device went offline.", "offline"),
    ("All devices stayed online.", "offline"),
    ("Every request was understood.", "understood"),
    ("Devices that went offline: Garage door (46).", "did not go offline"),
    ("The garage door went offline.", "did not go offline"),
    ("Es gab keine Fehler.", "no errors"),
    ("Seven requests failed.", "7"),
    ("The devices still offline at the end were Porch light and Garage door.", "Garage door"),
    ("Kitchen light and Porch light went offline.", "Kitchen light did not go offline"),
    ("Actions failed on: Garage door (46), Porch light.", "Porch light had no failed"),
]


@pytest.mark.parametrize("sentence", TRUE)
def test_sentences_true_to_the_facts_are_kept(facts: Facts, sentence: str) -> None:
    assert FactChecker(facts).problem(sentence) is None


@pytest.mark.parametrize(("sentence", "reason"), FALSE)
def test_contradicting_sentences_are_dropped(facts: Facts, sentence: str, reason: str) -> None:
    problem = FactChecker(facts).problem(sentence)
    assert problem is not None and reason.lower() in problem.lower(), problem


def test_a_paragraph_keeps_only_the_true_sentences(facts: Facts) -> None:
    prose = " ".join([TRUE[0], FALSE[0][0], TRUE[2], FALSE[5][0], TRUE[4]])
    checked = FactChecker(facts).check(prose)
    assert checked.kept == (TRUE[0], TRUE[2], TRUE[4])
    assert [s for s, _ in checked.dropped] == [FALSE[0][0], FALSE[5][0]]
    assert checked.text == " ".join((TRUE[0], TRUE[2], TRUE[4]))


def test_numbers_are_found_with_thousands_separators_words_and_units() -> None:
    found = [(v, ms) for v, ms, _, _ in numbers_in("1,234 requests, five failed, 12.5 ms")]
    assert sorted(found) == [(5.0, False), (12.5, True), (1234.0, False)]
    assert numbers_in("at 14:05 on 2025-11-29, p95 and the 95th percentile over 24h") == []


def test_number_words_two_to_twenty_count_in_english_and_german() -> None:
    found = [v for v, *_ in numbers_in("Seventeen lamps, twice; zwölf, dreizehn, Fünf, zweimal")]
    assert found == [17.0, 2.0, 12.0, 13.0, 5.0, 2.0]
    assert numbers_in("one lamp, eins") == []  # "one" is not a count here


def test_sentences_split_on_ends_and_lines() -> None:
    assert sentences("One. Two!\nThree 1.5 four?") == ["One.", "Two!", "Three 1.5 four?"]


def test_a_loop_of_one_sentence_shape_keeps_only_the_first(facts: Facts) -> None:
    prose = (
        "The errors were on the Garage door. The errors were on the Kitchen light. "
        "The errors were on the Porch light. The hub handled 2600 requests."
    )
    checked = FactChecker(facts).check(prose)
    assert checked.kept == ("The errors were on the Garage door.", "The hub handled 2600 requests.")
    assert [r for _, r in checked.dropped] == ["repeats an earlier sentence"] * 2
