"""A request that says not to do something, in the languages hub reads."""

from __future__ import annotations

import pytest

from hub.security.negation import is_negated


@pytest.mark.parametrize(
    "text",
    [
        "don't open the garage",
        "dont open the garage",
        "do not unlock the front door",
        "never unlock the back door",
        "öffne nicht das Garagentor",
        "mach das Licht nicht an",
        "n'ouvre pas la porte du garage",
        "no abras la puerta del garaje",
        "non aprire il garage",
        "open de garagedeur niet",
        "não abra a porta",
        "别开车库门",
        "不要打开车库门",
        "ガレージを開けないで",
        "차고 문 열지 마",
    ],
)
def test_negations_are_heard(text: str) -> None:
    assert is_negated(text)


@pytest.mark.parametrize(
    "text",
    [
        "open the garage door",
        "unlock the front door",
        "öffne das Garagentor",
        "ouvre la porte du garage",
        "ouvre l'entrée",
        "abre la puerta del garaje",
        "apri il garage",
        "打开车库门",
        "차고 문 열어줘",
        "turn on the kitchen light",
        "note the time",
    ],
)
def test_plain_requests_are_not_negated(text: str) -> None:
    assert not is_negated(text)
