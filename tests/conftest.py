"""Shared fixtures: the example home, its registry and a template-only pipeline."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.app import build_pipeline
from hub.config import Config, load_config
from hub.pipeline import Pipeline
from hub.registry import Registry

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_CONFIG = ROOT / "config.example.yaml"
SHARED_BENCH = ROOT.parent / "shared" / "bench"


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
