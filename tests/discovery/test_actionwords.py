"""Names that start like a request."""

from __future__ import annotations

import pytest

from hub.discovery.actionwords import action_word


@pytest.mark.parametrize(
    ("name", "word"),
    [
        ("unlock Front Door", "unlock"),
        ("Turn on the porch", "turn"),
        ("Please open the garage", "open"),
        ("the Disarm Switch", "disarm"),
        ("Öffne Garage", "offne"),
        ("Schließe die Tür", "schliesse"),
        ("Bitte entriegle", "entriegle"),
        ("Déverrouille la porte", "deverrouille"),
        ("S'il vous plaît, ouvre", "ouvre"),
        ("Abre la puerta", "abre"),
        ("Desbloquea", "desbloquea"),
        ("Apri il cancello", "apri"),
        ("Ontgrendel deur", "ontgrendel"),
        ("Destrave portão", "destrave"),
    ],
)
def test_an_action_word_first_is_found(name: str, word: str) -> None:
    assert action_word(name) == word


@pytest.mark.parametrize(
    "name",
    ["Porch Light", "Turntable", "Opener Relay", "Front Door Lock", "Türschloss", "", "The"],
)
def test_an_ordinary_name_has_none(name: str) -> None:
    assert action_word(name) is None
