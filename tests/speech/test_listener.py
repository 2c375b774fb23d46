"""The listener's logic with a scripted engine: modes, endpointing, cuts, mute, second pass.
(The real Vosk path is covered by test_listen_cli and test_grammar.)"""

from __future__ import annotations

from collections.abc import Sequence

from hub.speech.engine import Transcript, Word
from hub.speech.grammar import Grammar
from hub.speech.listener import Listener, ListenSettings, Utterance

RATE = 16000
SPEECH = b"\x01\x00" * 1600  # 0.1 s of "sound"
PAUSE = b"\x00\x00" * 1600  # 0.1 s of silence: the scripted decoder ends an utterance here


def heard(text: str, confidence: float = 0.9, *, grammar: bool = True) -> Transcript:
    return Transcript(text, tuple(Word(w, confidence, 0, 0) for w in text.split()), grammar)


class ScriptedDecoder:
    def __init__(self, script: list[Transcript]) -> None:
        self.script = script
        self.sound = False

    def accept(self, pcm: bytes) -> bool:
        if any(pcm):
            self.sound = True
            return False
        return self.sound

    def result(self) -> Transcript:
        self.sound = False
        return self.script.pop(0) if self.script else Transcript("")

    def partial(self) -> str:
        return ""


class ScriptedEngine:
    rate = RATE
    language = "en"

    def __init__(self, grammar: list[Transcript], free: list[Transcript] | None = None) -> None:
        self.grammar_script = grammar
        self.free_script = free or []
        self.decoders: list[Sequence[str] | None] = []

    def vocabulary(self) -> frozenset[str] | None:
        return None

    def decoder(self, words: Sequence[str] | None = None) -> ScriptedDecoder:
        self.decoders.append(words)
        return ScriptedDecoder(self.grammar_script if words is not None else self.free_script)


GRAMMAR = Grammar("en", ("turn", "on", "the", "light", "hey", "hub"), "v1", {"turn on": "turnon"})


def run(
    engine: ScriptedEngine,
    settings: ListenSettings,
    blocks: list[bytes],
    grammar: Grammar = GRAMMAR,
) -> tuple[Listener, list[Utterance]]:
    out: list[Utterance] = []
    listener = Listener(engine, lambda: grammar, settings, out.append)
    for block in blocks:
        listener.feed(block)
    listener.finish()
    return listener, out


def test_always_mode_hands_over_each_utterance_restored() -> None:
    engine = ScriptedEngine([heard("turn on the light"), heard("the light")])
    _, out = run(engine, ListenSettings(), [SPEECH, SPEECH, PAUSE, SPEECH, PAUSE])
    assert [u.text for u in out] == ["turnon the light", "the light"]
    assert out[0].heard == "turn on the light"
    assert out[0].seconds == 0.3
    assert engine.decoders[0] == GRAMMAR.words


def test_silence_gives_nothing() -> None:
    engine = ScriptedEngine([])
    _, out = run(engine, ListenSettings(), [PAUSE] * 10)
    assert out == []


def test_an_utterance_is_cut_at_max_seconds() -> None:
    engine = ScriptedEngine([heard("the light"), heard("light")])
    _, out = run(engine, ListenSettings(max_seconds=1.0), [SPEECH] * 15)
    assert out[0].cut and out[0].seconds == 1.0
    assert len(out) == 2 and not out[1].cut


def test_wake_phrase_in_the_same_breath_or_just_before() -> None:
    engine = ScriptedEngine([heard("hey hub turn on the light"), heard("the light")])
    settings = ListenSettings(mode="wake", wake_phrase="hey hub")
    _, out = run(engine, settings, [SPEECH, PAUSE, SPEECH, PAUSE])
    assert [u.text for u in out] == ["turnon the light"]  # the second had no wake phrase

    engine = ScriptedEngine([heard("hey hub"), heard("the light"), heard("light")])
    blocks = [SPEECH, PAUSE, SPEECH, PAUSE] + [PAUSE] * 60 + [SPEECH, PAUSE]
    _, out = run(engine, ListenSettings(mode="wake", wake_phrase="hey hub", wake_window=3), blocks)
    assert [u.text for u in out] == ["the light"]  # "light" came after the 3 s window


def test_push_to_talk_takes_one_utterance_after_the_trigger() -> None:
    engine = ScriptedEngine([heard("the light"), heard("light")])
    out: list[Utterance] = []
    listener = Listener(engine, lambda: GRAMMAR, ListenSettings(mode="push"), out.append)
    for block in (SPEECH, PAUSE):  # before the trigger: not even decoded
        listener.feed(block)
    assert engine.decoders == []
    listener.trigger()
    for block in (SPEECH, PAUSE, SPEECH, PAUSE):
        listener.feed(block)
    assert [u.text for u in out] == ["the light"]


def test_muted_audio_is_dropped() -> None:
    engine = ScriptedEngine([heard("the light")])
    out: list[Utterance] = []
    listener = Listener(engine, lambda: GRAMMAR, ListenSettings(), out.append)
    listener.mute(60)
    for block in (SPEECH, PAUSE):
        listener.feed(block)
    assert out == []
    listener.unmute()
    for block in (SPEECH, PAUSE):
        listener.feed(block)
    assert [u.text for u in out] == ["the light"]


def test_an_unsure_grammar_result_gets_a_free_form_second_pass() -> None:
    engine = ScriptedEngine(
        [heard("the light", 0.4)], free=[heard("what time is it", 0.8, grammar=False)]
    )
    _, out = run(engine, ListenSettings(min_confidence=0.6), [SPEECH, PAUSE])
    assert out[0].text == "what time is it" and out[0].free_form
    assert engine.decoders == [GRAMMAR.words, None]


def test_noise_below_the_floor_is_dropped_quietly() -> None:
    engine = ScriptedEngine([heard("light", 0.1)], free=[heard("uh", 0.2, grammar=False)])
    _, out = run(engine, ListenSettings(), [SPEECH, PAUSE])
    assert out == []


def test_a_new_grammar_is_used_when_the_home_changes() -> None:
    engine = ScriptedEngine([heard("the light"), heard("the lamp")])
    grammars = [GRAMMAR]
    out: list[Utterance] = []
    listener = Listener(engine, lambda: grammars[-1], ListenSettings(), out.append)
    listener.feed(SPEECH)
    listener.feed(PAUSE)
    grammars.append(Grammar("en", ("the", "lamp"), "v2"))
    listener.feed(SPEECH)
    listener.feed(PAUSE)
    assert engine.decoders == [GRAMMAR.words, ("the", "lamp")]
    assert [u.text for u in out] == ["the light", "the lamp"]


def test_the_listener_thread_decodes_off_the_producer_thread() -> None:
    import threading

    from hub.speech.listener import ListenerThread

    engine = ScriptedEngine([heard("the light")])
    out: list[tuple[Utterance, str]] = []
    listener = Listener(
        engine,
        lambda: GRAMMAR,
        ListenSettings(),
        lambda u: out.append((u, threading.current_thread().name)),
    )
    # the microphone's blocks arrive as raw bytes; convert runs on the listener's thread
    thread = ListenerThread(listener, convert=lambda raw: raw[::-1][::-1])
    thread.start()
    for block in (SPEECH, SPEECH, PAUSE):
        thread.put(block)
    thread.stop()
    assert not thread.alive()
    assert [(u.text, name) for u, name in out] == [("the light", "hub-speech")]


def test_a_failing_block_does_not_stop_the_listener_thread() -> None:
    from hub.speech.listener import ListenerThread

    engine = ScriptedEngine([heard("the light")])
    out: list[Utterance] = []
    listener = Listener(engine, lambda: GRAMMAR, ListenSettings(), out.append)
    calls = iter([ValueError("bad block")])

    def convert(raw: bytes) -> bytes:
        error = next(calls, None)
        if error is not None:
            raise error
        return raw

    thread = ListenerThread(listener, convert=convert)
    thread.start()
    for block in (b"junk", SPEECH, PAUSE):
        thread.put(block)
    thread.stop()
    assert [u.text for u in out] == ["the light"]
