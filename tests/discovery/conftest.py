"""The broker and client fixtures of tests/mqtt, for the discovery tests."""

from tests.mqtt.conftest import broker, client_factory

__all__ = ["broker", "client_factory"]
