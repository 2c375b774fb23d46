"""Speech under ``hub run``: the microphone's utterances become requests on the daemon's queue.

Started beside the daemon when ``speech.enabled`` is true. It does not run the pipeline itself:
each utterance is handed to the daemon (``Daemon.submit_request``) as a request with
``source: speech``, its confidence and an id ``speech-<run>-N``, so the daemon's one worker
runs it, publishes its actions and answers on ``<prefix>/response`` like any MQTT request.
An unsure utterance is answered "say again" on ``<prefix>/response`` and not queued. A missing
microphone or model logs one clear error and the rest of the hub keeps running.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import queue
import secrets
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from hub.config import Config
from hub.errors import HubError
from hub.messages import Reply, Request
from hub.registry import Registry

if TYPE_CHECKING:
    from hub.speech.voice import Voice

_LOGGER = logging.getLogger(__name__)


class SpeechRunner:
    def __init__(
        self,
        config: Config,
        registry: Callable[[], Registry],
        submit: Callable[[Request], None],
        publish: Callable[[str, str], Any],
        response_topic: str,
    ) -> None:
        self.config = config
        self.registry = registry
        self._submit = submit
        self._publish = publish
        self._response_topic = response_topic
        self._ids = itertools.count(1)
        self._run = secrets.token_hex(2)  # ids stay unique across restarts
        self._microphone: Any = None
        self._thread: Any = None
        self._push_link: Any = None
        self.listener: Any = None
        self._voice: Voice | None = None
        self._speaker: threading.Thread | None = None
        self._to_speak: queue.Queue[str | None] = queue.Queue(maxsize=8)

    def start(self) -> bool:
        """Start listening; False (with the reason logged) when speech cannot run."""
        from hub.speech.audio import Resampler, pcm16_to_float, to_pcm16
        from hub.speech.listener import ListenerThread
        from hub.speech.mic import Microphone, check_microphone
        from hub.speech.service import load_engine, make_listener

        s = self.config.speech
        try:
            check_microphone(s.device)
            engine = load_engine(self.config)
            listener = make_listener(self.config, engine, self.registry, self._on_utterance)
            resampler = Resampler(s.samplerate, engine.rate)
            thread = ListenerThread(
                listener, convert=lambda raw: to_pcm16(resampler.process(pcm16_to_float(raw)))
            )
            microphone = Microphone(
                thread.put, device=s.device, samplerate=s.samplerate, blocksize=s.blocksize
            )
            thread.start()
            microphone.start()
        except HubError as exc:
            _LOGGER.error("Speech is off: %s. The rest of the hub keeps running.", exc)
            return False
        self._thread, self._microphone = thread, microphone
        voice = None
        if s.speak != "off":
            from hub.speech.voice import make_voice

            voice = make_voice(s.speak, s.voice, mute=listener.mute, unmute=listener.unmute)
        self.attach(listener, voice)
        _LOGGER.info("Speech is on (%s mode)", s.mode)
        return True

    def attach(self, listener: Any, voice: Voice | None = None) -> None:
        """Use ``listener`` (fed by the microphone, or by a test) and speak answers with
        ``voice``; subscribes to what push-to-talk and the voice need."""
        self.listener = listener
        self._voice = voice
        if voice is not None:
            self._speaker = threading.Thread(target=self._speak, name="hub-voice", daemon=True)
            self._speaker.start()
        self.start_side_link()

    def start_side_link(self) -> None:
        """Subscribe to ``<prefix>/listen`` (push mode: a message there opens the microphone
        for one utterance) and, to speak them, to the answers on ``<prefix>/response``. A
        connection of its own (no status topic, client id ``<id>-listen``), so the daemon's
        subscriptions stay as they are."""
        from hub.mqtt.client import MQTTLink, default_client_id

        mqtt = self.config.mqtt
        topics = []
        if self.config.speech.mode == "push":
            topics.append(f"{mqtt.prefix}/listen" if mqtt else "")
        if self._voice is not None:
            topics.append(self._response_topic)
        if mqtt is None or not topics:
            return
        base = mqtt.client_id or default_client_id()
        self._push_link = MQTTLink(
            mqtt,
            status_topic=None,
            subscriptions=topics,
            on_message=self._on_side_message,
            client_id=f"{base}-listen",
        )
        self._push_link.start()

    def _on_side_message(self, inbound: Any) -> None:
        """paho's thread: set the push-to-talk deadline, or queue an answer to speak."""
        if inbound.topic != self._response_topic:
            self.trigger()
            return
        try:
            body = json.loads(inbound.payload)
        except ValueError:
            return
        if isinstance(body, dict) and str(body.get("id", "")).startswith("speech-"):
            with contextlib.suppress(queue.Full):
                self._to_speak.put_nowait(str(body.get("reply") or ""))

    def _speak(self) -> None:
        from hub.speech.service import speech_language

        language = speech_language(self.config)
        while True:
            text = self._to_speak.get()
            if text is None or self._voice is None:
                return
            self._voice.say(text, language)

    def trigger(self) -> None:
        """Push-to-talk (paho's thread: only sets a deadline in the listener)."""
        if self.listener is not None:
            self.listener.trigger()

    def stop(self) -> None:
        if self._push_link is not None:
            self._push_link.stop()
        if self._speaker is not None:
            with contextlib.suppress(queue.Full):
                self._to_speak.put_nowait(None)
        if self._microphone is not None:
            self._microphone.stop()
        if self._thread is not None:
            self._thread.stop()

    def alive(self) -> bool:
        return self._thread is None or self._thread.alive()

    # -- the listener's thread ------------------------------------------------------------
    def _on_utterance(self, utterance: Any) -> None:
        from dataclasses import replace

        from hub.speech.service import speech_language, to_request

        language = speech_language(self.config)
        request_id = f"speech-{self._run}-{next(self._ids)}"
        request = to_request(
            utterance, self.registry(), language, self.config.speech.min_confidence
        )
        if isinstance(request, Reply):
            body = {**request.to_dict(), "id": request_id, "source": "speech"}
            self._publish(self._response_topic, json.dumps(body, ensure_ascii=False))
            return
        _LOGGER.info(
            "speech %s: %r (confidence %.2f)", request_id, request.text, utterance.confidence
        )
        self._submit(replace(request, id=request_id))


def start_speech(config: Config, daemon: Any) -> SpeechRunner | None:
    """For ``hub run``: listen on the microphone when ``speech.enabled``; None otherwise (or
    when it cannot, which is logged and leaves the rest of the hub running)."""
    if not config.speech.enabled:
        return None
    runner = SpeechRunner(
        config,
        lambda: daemon.pipeline.registry,
        daemon.submit_request,
        lambda topic, payload: daemon.link.publish(topic, payload),
        daemon.topics.response,
    )
    return runner if runner.start() else None
