"""The real model (from tests/llm) and the real broker (from tests/mqtt) for these tests."""

from tests.llm.conftest import llm_threads, model_path  # noqa: F401
from tests.mqtt.conftest import broker, client_factory, start_daemon, warm_pipeline  # noqa: F401
