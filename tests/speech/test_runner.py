"""Speech under ``hub run``: audio to the daemon's queue to MQTT, with a real Mosquitto; and no
microphone leaves the rest of the hub running."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hub.app.build import build_pipeline
from hub.config import Config, load_config
from hub.mqtt.daemon import Daemon
from hub.speech.listener import Utterance
from hub.speech.runner import SpeechRunner, start_speech
from tests.mqtt.conftest import Broker, Client, broker, client_factory  # noqa: F401
from tests.speech.conftest import KOREAN_HOME


@pytest.fixture
def daemon_config(broker: Broker, tmp_path: Path) -> Config:  # noqa: F811
    path = tmp_path / "config.yaml"
    path.write_text(
        KOREAN_HOME.replace("  min_confidence: 0.5\n", "  min_confidence: 0.5\n  enabled: true\n")
        + f"mqtt: {{host: 127.0.0.1, port: {broker.port}, discovery: false}}\n",
        encoding="utf-8",
    )
    return load_config(path)


@pytest.fixture
def daemon(daemon_config: Config) -> Iterator[Daemon]:
    assert daemon_config.mqtt is not None
    running = Daemon(build_pipeline(daemon_config, "template"), daemon_config.mqtt)
    running.start()
    # start() returns before the broker answers: a reply published before CONNACK is dropped,
    # and a request published before the SUBACK reaches no one
    assert running.link.wait_listening(15), "the daemon did not subscribe on the test broker"
    yield running
    running.stop(1.0)


def runner_for(config: Config, daemon: Daemon) -> SpeechRunner:
    return SpeechRunner(
        config,
        lambda: daemon.pipeline.registry,
        daemon.submit_request,
        lambda topic, payload: daemon.link.publish(topic, payload),
        daemon.topics.response,
    )


def test_no_microphone_logs_an_error_and_the_hub_keeps_serving(
    daemon_config: Config,
    daemon: Daemon,
    client_factory: Callable[..., Client],  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = client_factory("hub/response", "hub/action/#")
    with caplog.at_level(logging.ERROR):
        assert start_speech(daemon_config, daemon) is None
    assert "Speech is off: no microphone" in caplog.text
    assert "keeps running" in caplog.text
    client.publish("hub/request", "환풍기 켜줘")
    answer = client.wait_topic("hub/response")[0].json()
    assert answer["commands"][0]["action"] == "switch.turn_on"
    assert daemon.alive()


def test_a_spoken_command_is_acted_on_and_answered_over_mqtt(
    speech_ready: None,
    engine,  # type: ignore[no-untyped-def]
    daemon_config: Config,
    daemon: Daemon,
    wavs: dict[str, Path],
    client_factory: Callable[..., Client],  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    from hub.speech.audio import read_wav
    from hub.speech.service import make_listener

    caplog.set_level(logging.INFO, logger="hub.pipeline")
    client = client_factory("hub/response", "hub/action/#")
    runner = runner_for(daemon_config, daemon)
    listener = make_listener(daemon_config, engine, runner.registry, runner._on_utterance)
    audio = read_wav(wavs["fan_on"], engine.rate)
    for i in range(0, len(audio.pcm), 8000):
        listener.feed(audio.pcm[i : i + 8000])
    listener.finish()
    action = client.wait_topic("hub/action/switch")[0].json()
    assert action["action"] == "switch.turn_on"
    assert action["target"] == {"entity_id": ["switch.kitchen_fan"]}
    answer = client.wait_topic("hub/response")[0].json()
    assert answer["id"].startswith("speech-") and answer["text"] == "환풍기 켜줘"
    # the pipeline saw a speech request (not one from MQTT)
    assert "speech '환풍기 켜줘' -> switch.turn_on switch.kitchen_fan" in caplog.text


def test_an_unsure_utterance_is_answered_say_again_and_not_acted_on(
    daemon_config: Config,
    daemon: Daemon,
    client_factory: Callable[..., Client],  # noqa: F811
) -> None:
    client = client_factory("hub/response", "hub/action/#")
    runner = runner_for(daemon_config, daemon)
    runner._on_utterance(Utterance("환풍기 켜줘", 0.35, "환풍기 켜줘", 1.2))
    answer = client.wait_topic("hub/response")[0].json()
    assert answer["error"]["code"] == "low_confidence"
    assert answer["source"] == "speech" and "다시" in answer["reply"]
    assert answer["commands"] == []
    assert client.on("hub/action/switch") == []


def test_push_to_talk_over_mqtt_opens_the_microphone_for_one_utterance(
    speech_ready: None,
    engine,  # type: ignore[no-untyped-def]
    daemon_config: Config,
    daemon: Daemon,
    wavs: dict[str, Path],
    client_factory: Callable[..., Client],  # noqa: F811
) -> None:
    from dataclasses import replace

    from hub.speech.audio import read_wav
    from hub.speech.service import make_listener
    from tests.mqtt.conftest import wait_until

    config = replace(daemon_config, speech=replace(daemon_config.speech, mode="push"))
    client = client_factory("hub/response", "hub/action/#")
    runner = runner_for(config, daemon)
    runner.attach(make_listener(config, engine, runner.registry, runner._on_utterance))
    try:
        audio = read_wav(wavs["fan_on"], engine.rate)

        def speak() -> None:
            for i in range(0, len(audio.pcm), 8000):
                runner.listener.feed(audio.pcm[i : i + 8000])
            runner.listener.finish()

        speak()  # nobody pressed the button: not heard
        assert not runner.listener.open
        assert runner._push_link.wait_listening(10), "the push-to-talk subscription"
        client.publish("hub/listen", "")
        wait_until(lambda: runner.listener.open, 10, "the trigger")
        speak()
        action = client.wait_topic("hub/action/switch")[0].json()
        assert action["action"] == "switch.turn_on"
        assert len(client.wait_topic("hub/response")) == 1  # the unheard one never was a request
    finally:
        runner.stop()


def test_answers_to_speech_are_spoken_while_the_listener_is_muted(
    speech_ready: None,
    engine,  # type: ignore[no-untyped-def]
    daemon_config: Config,
    daemon: Daemon,
    wavs: dict[str, Path],
    client_factory: Callable[..., Client],  # noqa: F811
) -> None:
    import wave

    from hub.speech.audio import read_wav
    from hub.speech.service import make_listener
    from hub.speech.voice import CommandVoice
    from tests.mqtt.conftest import wait_until

    client = client_factory("hub/response")
    runner = runner_for(daemon_config, daemon)
    listener = make_listener(daemon_config, engine, runner.registry, runner._on_utterance)
    played: list[tuple[float, bool]] = []

    def play(path: Path) -> None:  # instead of a sound card: what would have been played
        with wave.open(str(path)) as w:
            played.append((w.getnframes() / w.getframerate(), listener.open))
        listener.feed(b"\x00\x00" * 1600)  # the hub hearing itself: dropped
        played.append((0.0, listener._muted_until > 0))

    voice = CommandVoice("espeak-ng", None, play=play, mute=listener.mute, unmute=listener.unmute)
    said: list[str] = []
    say = voice.say

    def saying(text: str, language: str | None) -> None:
        said.append(text)
        say(text, language)

    voice.say = saying  # type: ignore[method-assign]
    runner.attach(listener, voice)
    try:
        assert runner._push_link.wait_listening(10), "the answer subscription"
        audio = read_wav(wavs["fan_on"], engine.rate)
        for i in range(0, len(audio.pcm), 8000):
            listener.feed(audio.pcm[i : i + 8000])
        listener.finish()
        assert client.wait_topic("hub/response")[0].json()["id"].startswith("speech-")
        wait_until(lambda: len(played) == 2, 15, "the spoken answer")
        seconds, _ = played[0]
        assert seconds > 0.5  # "Turning on 환풍기." was synthesized
        assert played[1] == (0.0, True)  # muted while speaking
        client.publish("hub/response", '{"id": "other", "reply": "not ours"}')
        # an answer to speech after it: spoken in turn, so once it is, "other" was passed over
        client.publish("hub/response", '{"id": "speech-test-1", "reply": "the last one"}')
        wait_until(lambda: len(played) == 4, 15, "the last answer spoken")
        assert said[1:] == ["the last one"]  # only answers to speech are spoken
    finally:
        runner.stop()
