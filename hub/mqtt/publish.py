"""``hub ask --publish``: send the commands of each reply to the devices, as ``hub run`` would.

Nothing is published unless the config has an ``mqtt:`` section and ``--publish`` is given
(DESIGN.md). The connection is made once, before the first request; a broker that cannot be
reached is an error before anything is asked, and a reply whose actions were not acknowledged
says so instead of claiming them.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

from hub.config import Config, MQTTConfig
from hub.errors import ConfigError, HubError
from hub.integrations.router import BindingError, BindingSettings, Router
from hub.messages import ErrorInfo, Reply, Request
from hub.mqtt.client import MQTTLink, default_client_id
from hub.pipeline import Pipeline

_LOGGER = logging.getLogger(__name__)

CONNECT_TIMEOUT = 5.0
ACK_TIMEOUT = 5.0


class PublishingPipeline(Pipeline):
    """A pipeline whose replies' commands are published before the reply is returned."""

    def __init__(self, pipeline: Pipeline, link: MQTTLink, settings: MQTTConfig) -> None:
        # Not Pipeline.__init__: the wrapped pipeline answers; this only adds the publishing.
        self.inner = pipeline
        self.registry = pipeline.registry
        self.tiers = pipeline.tiers
        self.link = link
        self.settings = settings
        self.router = Router(
            pipeline.registry, BindingSettings(settings.prefix, settings.zigbee2mqtt_base)
        )

    def warm(self, *, llm: bool = True, fast: bool = True) -> None:
        self.inner.warm(llm=llm, fast=fast)

    def ask(self, request: Request, *, fast: bool = False) -> Reply:
        return self.publish(self.inner.ask(request, fast=fast))

    def publish(self, reply: Reply) -> Reply:
        if not reply.commands:
            return reply
        try:
            messages = self.router.messages(reply.commands)
        except BindingError as exc:
            return _failed(reply, exc.code, str(exc))
        ok = self.link.publish_all(messages, expiry=self.settings.message_expiry, wait=ACK_TIMEOUT)
        if not ok:
            message = "The MQTT broker did not acknowledge the actions; they may not have run."
            return _failed(reply, "broker_unavailable", message)
        _LOGGER.info("Published to %s", ", ".join(dict.fromkeys(m.topic for m in messages)))
        return reply


def _failed(reply: Reply, code: str, message: str) -> Reply:
    return replace(reply, commands=(), reply=message, error=ErrorInfo(code, message))


@contextmanager
def publishing(pipeline: Pipeline, config: Config) -> Iterator[PublishingPipeline]:
    """Connect to the config's broker; yield a pipeline that publishes; disconnect."""
    settings = config.mqtt
    if settings is None:
        raise ConfigError("mqtt", "--publish needs an mqtt: section in the config")
    base = settings.client_id or default_client_id()
    link = MQTTLink(settings, status_topic=None, client_id=f"{base}-ask-{os.getpid()}")
    link.start()
    try:
        if not link.wait_online(CONNECT_TIMEOUT):
            raise HubError(
                f"cannot reach the MQTT broker at {settings.host}:{settings.port} "
                f"within {CONNECT_TIMEOUT:g} s; nothing was published",
                code="broker_unavailable",
            )
        yield PublishingPipeline(pipeline, link, settings)
    finally:
        link.stop()
