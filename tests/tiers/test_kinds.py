"""The words of device kinds (hub.tiers.kinds)."""

from __future__ import annotations

from hub.registry import Device
from hub.tiers.kinds import is_group_word, kind_only, name_words, own_kind_words


def test_a_kind_noun_in_the_homes_language_is_a_group_word() -> None:
    assert is_group_word("lumière") and is_group_word("Lampe") and is_group_word("luces")
    assert not is_group_word("plafond") and not is_group_word("coffee")


def test_a_device_says_what_it_is_by_its_own_names_and_class() -> None:
    curtain = Device("cover.cortina_derecha", "Cortina derecha", device_class="curtain")
    assert {"cortina", "curtain", "derecha"} <= own_kind_words(curtain)
    blind = Device("cover.persiana", "Persiana salón")
    assert "curtain" not in own_kind_words(blind)


def test_words_of_names_tell_one_device_from_another() -> None:
    lamp = Device("light.desk", "Lumière du bureau")
    assert "lumiere" not in name_words(lamp, frozenset())  # a kind word, not a name word


def test_a_name_that_is_only_a_kind() -> None:
    assert kind_only(Device("climate.living_room", "Thermostat"))
    assert kind_only(Device("media_player.tv", "TV"))
    assert not kind_only(Device("climate.bedroom", "Bedroom Radiator"))
