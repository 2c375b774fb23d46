"""What the daemon needs of a broker connection: ``MQTTLink``, or a fake in tests."""

from __future__ import annotations

from typing import Protocol

from hub.integrations.router import OutMessage
from hub.mqtt.confirm import Delivery


class Link(Protocol):
    client_id: str

    @property
    def online(self) -> bool: ...
    def wait_listening(self, timeout: float) -> bool: ...
    def start(self) -> None: ...
    def stop(self, timeout: float = 3.0) -> None: ...
    def alive(self) -> bool: ...
    def publish(
        self,
        topic: str,
        payload: str | bytes,
        *,
        retain: bool = False,
        expiry: int | None = None,
        correlation: bytes | None = None,
    ) -> bool: ...
    def publish_actions(
        self, messages: list[OutMessage], *, expiry: int | None
    ) -> Delivery | None: ...
