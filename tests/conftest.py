"""Shared fixtures: the example home, its registry and a template-only pipeline.

Under ``CI=true`` a test that skips because a real part is missing (the broker, the model,
Vosk, espeak-ng, ../shared) fails instead: CI must not pass by running nothing. The skip
reasons are printed at the end of every run (``-rs`` in pyproject.toml).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.app.build import build_pipeline
from hub.config import Config, load_config
from hub.pipeline import Pipeline
from hub.registry import Registry

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_CONFIG = ROOT / "config.example.yaml"
SHARED_BENCH = ROOT.parent / "shared" / "bench"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
# Skips about this machine's own limits, not about a part hub needs: allowed under CI too.
MAY_SKIP_IN_CI = ("cannot mount a tmpfs",)


def _fail_the_skip(report: pytest.TestReport | pytest.CollectReport) -> None:
    if not (IN_CI and report.skipped) or hasattr(report, "wasxfail"):
        return
    reason = report.longrepr[-1] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    if any(allowed in reason for allowed in MAY_SKIP_IN_CI):
        return
    report.outcome = "failed"
    report.longrepr = f"CI=true, so a missing part fails instead of skipping: {reason}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    _fail_the_skip(outcome.get_result())  # type: ignore[attr-defined]


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Iterator[None]:
    """A whole module skipped at import (``pytest.importorskip("numpy")`` at the top)."""
    outcome = yield
    _fail_the_skip(outcome.get_result())  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def _isolated_data_dir(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No test touches the user's real data directory or config."""
    monkeypatch.setenv("HUB_DATA_DIR", str(tmp_path_factory.mktemp("hub-data")))
    monkeypatch.delenv("HUB_CONFIG", raising=False)


@pytest.fixture(scope="session")
def example_config() -> Config:
    return load_config(EXAMPLE_CONFIG)


@pytest.fixture(scope="session")
def registry(example_config: Config) -> Registry:
    return example_config.registry()


@pytest.fixture(scope="session")
def template_pipeline(example_config: Config) -> Pipeline:
    return build_pipeline(example_config, "template")
