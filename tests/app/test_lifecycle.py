"""hub run's start-up pieces that can be tested without a broker (the rest: tests/mqtt/test_run.py)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from hub.app.lifecycle import open_memory
from hub.config import Config, StoreConfig
from hub.config.discovery import DiscoveryConfig
from hub.messages import Command

LEARNT = "the-version-of-a-home-learnt-from-the-bus"


def _cached_after_a_restart(config: Config) -> bool:
    """Remember a decision for a home other than the config's, restart, and look it up."""
    memory = open_memory(config)
    assert memory is not None and memory.decisions is not None
    commands = (Command("light.turn_on", ("light.office_lamp",)),)
    memory.decisions.put("office lamp please", None, LEARNT, commands, "Turning on.", "en")
    assert memory.decisions.get("office lamp please", None, LEARNT) is not None
    memory.close()
    again = open_memory(config)
    assert again is not None and again.decisions is not None
    found = again.decisions.get("office lamp please", None, LEARNT) is not None
    again.close()
    return found


def test_without_discovery_decisions_for_another_home_go_at_start(
    tmp_path: Path, example_config: Config
) -> None:
    store = StoreConfig(path=tmp_path / "hub.db")
    config = dataclasses.replace(example_config, store=store, discovery=None)
    assert not _cached_after_a_restart(config)


def test_with_discovery_the_learnt_home_keeps_its_decisions_across_a_restart(
    tmp_path: Path, example_config: Config
) -> None:
    store = StoreConfig(path=tmp_path / "hub.db")
    config = dataclasses.replace(example_config, store=store, discovery=DiscoveryConfig())
    assert _cached_after_a_restart(config)


def test_no_store_no_memory(example_config: Config) -> None:
    config = dataclasses.replace(example_config, store=StoreConfig(enabled=False))
    assert open_memory(config) is None
