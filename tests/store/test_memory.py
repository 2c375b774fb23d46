"""Memory in the pipeline: the event log of every request, and the decision cache that must
never hand one request another's commands."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from hub.config import Config, StoreConfig, load_config
from hub.messages import Request
from hub.pipeline import Pipeline
from hub.registry import Registry
from hub.store import Event, Store
from hub.store import memory as memory_module
from hub.store.memory import Memory
from hub.tiers.llm import LLMTier
from tests.tiers.test_llm_tier import FakeLines

# Pairs that differ only in one thing that changes the meaning, with the line the model writes
# for each (None: the model finds no action).
PAIRS: list[tuple[tuple[str, str | None], tuple[str, str | None]]] = [
    (
        ("turn the office lamp on pls", "turn on desk lamp"),
        ("turn the office lamp off pls", "turn off desk lamp"),
    ),
    (
        ("open up the living room blinds", "open living room blinds"),
        ("close up the living room blinds", "close living room blinds"),
    ),
    (
        ("bedroom lamp at 30 percent please", "set bedside lamp brightness to 30%"),
        ("bedroom lamp at 40 percent please", "set bedside lamp brightness to 40%"),
    ),
    (
        ("get the kitchen lights going", "turn on kitchen lights"),
        ("get the bedroom lights going", "turn on bedroom lights"),
    ),
    (
        ("do switch the hallway light on", "turn on hallway light"),
        ("don't switch the hallway light on", None),
    ),
    (
        ("make the living room 21 degrees", "set thermostat temperature to 21"),
        ("make the living room 22 degrees", "set thermostat temperature to 22"),
    ),
    (("lights on", "turn on all lights"), ("lights off", "turn off all lights")),
    (
        ("lock up the front door", "lock front door"),
        ("lock up the garden lights", None),  # a light is never what "lock" asks for
    ),
]


@pytest.fixture
def memory(tmp_path: Path, example_config: Config) -> Memory:
    config = dataclasses.replace(example_config, store=StoreConfig(path=tmp_path / "hub.db"))
    return Memory.open(config, example_config.registry())


def pipeline_with(fake: FakeLines, registry: Registry, memory: Memory) -> Pipeline:
    from hub.tiers.cache import CacheTier

    tiers = [
        CacheTier(memory.decisions, memory.answers, ("en",)),
        LLMTier(lambda: fake),  # type: ignore[arg-type, return-value]
    ]
    return Pipeline(registry, tiers, memory=memory)


def _commands(reply_commands: tuple[object, ...]) -> list[object]:
    return [c.to_dict() for c in reply_commands]  # type: ignore[attr-defined]


@pytest.mark.parametrize("first, second", PAIRS, ids=[p[0][0] for p in PAIRS])
def test_the_cache_never_returns_the_other_requests_commands(
    first: tuple[str, str | None],
    second: tuple[str, str | None],
    registry: Registry,
    memory: Memory,
) -> None:
    fake = FakeLines()
    pipeline = pipeline_with(fake, registry, memory)
    for text, line in (first, second):
        fake.enqueue(line or "nothing")
        reply = pipeline.ask(Request(text))
        assert reply.tier == "llm", f"{text!r} was served from the cache"
        assert bool(reply.commands) == (line is not None)
    a, b = (pipeline.ask(Request(text)) for text, _ in (first, second))
    assert a.tier == "cache" and a.commands  # the first is remembered ...
    if second[1] is None:
        assert b.tier == "llm" and not b.commands  # ... "don't" is not served "do"'s commands
    else:
        assert b.tier == "cache"
        assert _commands(a.commands) != _commands(b.commands)
    assert len(fake.calls) == 2 + (second[1] is None)


def test_the_area_is_part_of_the_decision(registry: Registry, memory: Memory) -> None:
    fake = FakeLines()
    pipeline = pipeline_with(fake, registry, memory)
    fake.enqueue("turn on kitchen lights")
    assert pipeline.ask(Request("lights on in here", area="kitchen")).tier == "llm"
    fake.enqueue("turn on bedroom lights")
    other = pipeline.ask(Request("lights on in here", area="bedroom"))
    assert other.tier == "llm"
    assert {e for c in other.commands for e in c.entity_ids} <= {
        d.entity_id for d in registry.in_area("bedroom")
    }
    again = pipeline.ask(Request("Lights on in here!", area="kitchen"))
    assert again.tier == "cache"
    assert all(e.startswith("light.kitchen") for c in again.commands for e in c.entity_ids)


def test_a_changed_home_misses_and_drops_old_decisions(
    registry: Registry, memory: Memory, example_config: Config
) -> None:
    fake = FakeLines()
    pipeline = pipeline_with(fake, registry, memory)
    fake.enqueue("turn on desk lamp")
    pipeline.ask(Request("office lamp please"))
    assert pipeline.ask(Request("office lamp please")).tier == "cache"
    renamed = Registry(
        registry.floors,
        registry.areas,
        tuple(
            dataclasses.replace(d, name="Desk Light") if d.entity_id == "light.office_lamp" else d
            for d in registry.devices
        ),
    )
    assert renamed.version != registry.version
    pipeline.registry = renamed
    memory.follow(renamed)
    fake.enqueue("turn on desk light")
    assert pipeline.ask(Request("office lamp please")).tier == "llm"
    assert memory.decisions is not None
    assert {r["registry"] for r in memory.decisions.rows()} == {renamed.version}


def test_requests_with_their_own_states_are_never_cached(
    registry: Registry, memory: Memory
) -> None:
    fake = FakeLines()
    pipeline = pipeline_with(fake, registry, memory)
    states = {"light.office_lamp": {"state": "on"}}
    for _ in range(2):
        fake.enqueue("turn off desk lamp")
        assert pipeline.ask(Request("toggle the desk", states=states)).tier == "llm"
    assert memory.decisions is not None and memory.decisions.rows() == []


def test_every_request_is_logged_with_its_outcome(registry: Registry, memory: Memory) -> None:
    fake = FakeLines()
    pipeline = pipeline_with(fake, registry, memory)
    fake.enqueue("turn on desk lamp")
    pipeline.ask(Request("office lamp please", source="mqtt", id="r1"))
    fake.enqueue("nothing")
    pipeline.ask(Request("what a nice day", source="speech"))
    fake.enqueue("set thermostat temperature to 29")
    pipeline.ask(Request("tropical living room, 29 degrees", source="cli"))
    pipeline.ask(Request("   "))
    events = list(memory.store.events(0, time.time() + 1, ["request"]))
    assert [(e.source, e.outcome, e.tier) for e in events] == [
        ("mqtt", "acted", "llm"),
        ("speech", "not_understood", "llm"),
        ("cli", "acted", "llm"),
        ("cli", "error", "none"),
    ]
    assert events[0].request_id == "r1"
    assert events[0].commands[0]["target"]["entity_id"] == ["light.office_lamp"]
    assert events[0].ms is not None and events[0].ms >= 0
    assert events[3].detail["error"]["code"] == "empty_request"


def test_the_cache_and_the_log_survive_a_restart(
    tmp_path: Path, example_config: Config, registry: Registry
) -> None:
    config = dataclasses.replace(example_config, store=StoreConfig(path=tmp_path / "hub.db"))
    memory = Memory.open(config, registry)
    fake = FakeLines()
    fake.enqueue("turn on desk lamp")
    pipeline_with(fake, registry, memory).ask(Request("office lamp please"))
    memory.close()

    again = Memory.open(config, registry)
    reply = pipeline_with(FakeLines(), registry, again).ask(Request("office lamp please"))
    assert reply.tier == "cache"
    assert [c.entity_ids for c in reply.commands] == [("light.office_lamp",)]
    texts = [e.text for e in again.store.events(0, time.time() + 1)]
    assert texts == ["office lamp please", "office lamp please"]
    again.close()


@pytest.mark.parametrize(
    "text, line",
    [
        ("open up the garage door", "open garage door"),
        ("unbolt the front door", "unlock front door"),
    ],
)
def test_a_security_action_is_never_served_from_the_cache(
    text: str, line: str, registry: Registry, memory: Memory
) -> None:
    fake = FakeLines()
    pipeline = pipeline_with(fake, registry, memory)
    for turn in range(2):
        fake.enqueue(line)
        reply = pipeline.ask(Request(text, conversation_id=f"c{turn}"))
        assert reply.tier == "llm", f"turn {turn}: {text!r} was served from the cache"
        assert not reply.commands and reply.outcome == "asked" and reply.pending
        confirmed = pipeline.ask(Request("yes", conversation_id=f"c{turn}"))
        assert confirmed.tier == "confirmed" and confirmed.commands == reply.pending
    assert len(fake.calls) == 2  # the model was asked both times: nothing was cached


STORE_CONFIG = """\
devices:
  - {id: light.desk_lamp, name: Desk Lamp}
store:
  path: hub.db
  keep_days: 2
  max_events: 100
"""


def test_keep_days_and_max_events_prune_the_log_when_the_memory_opens(tmp_path: Path) -> None:
    config_file = tmp_path / "hub.yaml"
    config_file.write_text(STORE_CONFIG)
    config = load_config(config_file)
    assert config.store.path == tmp_path / "hub.db"
    now = time.time()
    store = Store.open(tmp_path / "hub.db")
    store.record(*(Event("request", ts=now - 3 * 86400 + i, text=f"old{i}") for i in range(5)))
    store.record(*(Event("request", ts=now - 86400 + i, text=f"young{i}") for i in range(150)))
    store.close()

    memory = Memory.open(config)
    texts = [e.text for e in memory.store.events(0, now + 1)]
    assert texts == [f"young{i}" for i in range(50, 150)]  # none too old, the newest 100
    memory.close()


def test_the_log_is_pruned_again_every_hour_while_the_hub_runs(
    tmp_path: Path,
    example_config: Config,
    registry: Registry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = [1000.0]
    monkeypatch.setattr(memory_module, "time", SimpleNamespace(monotonic=lambda: clock[0]))
    settings = StoreConfig(path=tmp_path / "hub.db", keep_days=1, max_events=1000)
    memory = Memory.open(dataclasses.replace(example_config, store=settings))
    pipeline = pipeline_with(FakeLines(), registry, memory)
    now = time.time()
    memory.record(Event("request", ts=now - 2 * 86400, text="two days ago"))

    def texts() -> list[str | None]:
        return [e.text for e in memory.store.events(0, time.time() + 1)]

    clock[0] += memory_module.PRUNE_EVERY - 1
    pipeline.ask(Request("what a nice day"))
    assert texts() == ["two days ago", "what a nice day"]  # not an hour yet
    clock[0] += 1
    pipeline.ask(Request("what a nice evening"))
    assert texts() == ["what a nice day", "what a nice evening"]
    memory.close()


def test_a_cached_decision_the_checks_now_refuse_is_not_replayed(
    registry: Registry, memory: Memory
) -> None:
    from hub.messages import Command

    fake = FakeLines()
    pipeline = pipeline_with(fake, registry, memory)
    text = "it is rather gloomy where I do my reading, sort that out"
    # as an older hub cached it, before a request for more light spoke against a light off
    off = Command("light.turn_off", ("light.living_room_lamp",))
    memory.decisions.put(text, None, registry.version, [off], "Turning off Reading Lamp.", "en")
    fake.enqueue("turn on reading lamp")
    reply = pipeline.ask(Request(text))
    assert reply.tier == "llm"  # asked again, not replayed
    assert [c.action for c in reply.commands] == ["light.turn_on"]
    kept = "hallway light off please"  # a decision nothing speaks against is served
    memory.decisions.put(kept, None, registry.version, [off], "Turning off Reading Lamp.", "en")
    assert pipeline.ask(Request(kept)).tier == "cache"
