from __future__ import annotations

from pathlib import Path

from hub.bench import Case, Outcome, atoms_equal, by_tag, load_case_file, percentile, stats


def test_atoms_are_sets_with_format_tolerances() -> None:
    a = ("light.turn_on", "light.a", {"brightness_pct": 50})
    assert atoms_equal([a], [("light.turn_on", "light.a", {"brightness_pct": 51})])
    assert not atoms_equal([a], [("light.turn_on", "light.a", {"brightness_pct": 52})])
    assert not atoms_equal([a], [("light.turn_on", "light.a", {})])  # same keys required
    vol = ("media_player.volume_set", "media_player.tv", {"volume_level": 0.5})
    assert atoms_equal(
        [vol], [("media_player.volume_set", "media_player.tv", {"volume_level": 0.505})]
    )
    assert not atoms_equal(
        [vol], [("media_player.volume_set", "media_player.tv", {"volume_level": 0.52})]
    )
    assert atoms_equal(
        [("light.turn_on", "light.a", {"color_name": "Red"})],
        [("light.turn_on", "light.a", {"color_name": "red"})],
    )
    assert atoms_equal([a, a], [a])  # sets
    assert not atoms_equal([a], [])
    assert atoms_equal([], [])


def test_constraint_strings() -> None:
    step = ("light.turn_on", "light.a", {"brightness_step_pct": -20})
    assert atoms_equal([step], [("light.turn_on", "light.a", {"brightness_step_pct": "<0"})])
    assert not atoms_equal([step], [("light.turn_on", "light.a", {"brightness_step_pct": ">0"})])
    assert atoms_equal([step], [("light.turn_on", "light.a", {"brightness_step_pct": "*"})])


def _case_file(tmp_path: Path, cases: str) -> Path:
    """A case file (and its one-light home) with ``cases``, the YAML under ``cases:``."""
    (tmp_path / "home.yaml").write_text("devices: [{id: light.a}]\n")
    path = tmp_path / "cases.yaml"
    path.write_text("config: home.yaml\ncases:\n" + cases)
    return path


def test_case_file_loading_and_verdicts(tmp_path: Path) -> None:
    loaded = load_case_file(
        _case_file(
            tmp_path,
            "  - text: lights on\n    expect: [{action: light.turn_on, target: light.a}]\n"
            "    tags: [x]\n"
            "  - text: either\n    expect_any: [[], [{action: light.turn_off, target: [light.a]}]]\n"
            "  - text: chat\n    expect: []\n    tags: [x, y]\n",
        )
    )
    assert loaded.config == (tmp_path / "home.yaml").resolve()
    on, either, chat = loaded.cases
    emitted_on = (("light.turn_on", "light.a", {}),)
    outcomes = [
        Outcome(on, emitted_on, "template", 1.0),
        Outcome(either, (), "none", 2.0),
        Outcome(chat, emitted_on, "llm", 3.0),
    ]
    assert [o.verdict for o in outcomes] == ["exact", "exact", "wrong"]
    assert Outcome(on, (), "none", 1.0).verdict == "missed"
    total = stats(outcomes)
    assert total.n == 3 and abs(total.exact - 2 / 3) < 1e-9 and abs(total.wrong - 1 / 3) < 1e-9
    assert total.p50_ms == 2.0
    tags = by_tag(outcomes)
    assert tags["x"].n == 2 and tags["y"].wrong == 1.0 and tags["(untagged)"].n == 1


def test_a_right_answer_doubted_is_counted(tmp_path: Path) -> None:
    lights_on = "  - text: lights on\n    expect: [{action: light.turn_on, target: light.a}]\n"
    (on,) = load_case_file(_case_file(tmp_path, lights_on)).cases
    right = (("light.turn_on", "light.a", {}),)
    other = (("light.turn_off", "light.a", {}),)
    doubted = Outcome(on, (), "llm", 1.0, "Did you mean ...?", suggested=right)
    asked_other = Outcome(on, (), "llm", 1.0, "Did you mean ...?", suggested=other)
    assert doubted.verdict == "missed" and doubted.asked_right
    assert not asked_other.asked_right and not Outcome(on, right, "llm", 1.0).asked_right
    total = stats([doubted, asked_other])
    assert total.missed == 1.0 and total.asked_right == 0.5
    assert total.to_dict()["asked_right"] == 0.5


def test_percentile() -> None:
    assert percentile([1, 2, 3, 4, 5], 0.5) == 3
    assert percentile([10.0], 0.95) == 10.0
    assert abs(percentile(list(range(1, 101)), 0.95) - 95.05) < 1e-9


def test_case_needs_text_and_expect(tmp_path: Path) -> None:
    import pytest

    from hub.errors import ConfigError

    bad = tmp_path / "bad.yaml"
    bad.write_text("config: x.yaml\ncases:\n  - text: hi\n")
    with pytest.raises(ConfigError, match="a case needs 'expect' or 'expect_any'"):
        load_case_file(bad)
    bad.write_text("config: x.yaml\ncases:\n  - expect: []\n")
    with pytest.raises(ConfigError, match="a case needs 'text'"):
        load_case_file(bad)
    # an empty expect is a case too: nothing must be done
    good = tmp_path / "good.yaml"
    good.write_text("config: x.yaml\ncases:\n  - text: hi\n    expect: []\n")
    [case] = load_case_file(good).cases
    assert case == Case("hi", ((),))
    assert Outcome(case, (), "none", 1.0).verdict == "exact"
    assert Outcome(case, (("light.turn_on", "light.a", {}),), "llm", 1.0).verdict == "wrong"
