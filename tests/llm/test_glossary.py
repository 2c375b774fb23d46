"""The glossary: requests in other languages glossed into English words (no model needed)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from hub.config import load_config
from hub.llm.backend import Generation, Prompt
from hub.llm.command_language import build_language
from hub.llm.glossary import GlossaryError, available, gloss, load, parse, read
from hub.llm.lines import SchemaLines
from hub.llm.prompt import build_prompt, user_message
from hub.messages import Request
from hub.tiers.llm import LLMTier

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = {"de", "fr", "es", "it", "nl", "pt", "zh", "ja", "ko"}


def test_every_language_ships_and_loads() -> None:
    assert set(available()) >= LANGUAGES
    for code in available():
        glossary = load(code)
        assert glossary.language == code
        assert len(glossary.entries) > 100, code


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # German: separable verbs, compounds, numbers in words
        ("Mach das Licht im Büro an", "turn light in office on"),
        ("Schalte den Fernseher aus", "switch tv off"),
        ("Schließ das Garagentor", "close garage door"),
        ("Stell das Thermostat auf 22 Grad", "set thermostat to 22 degrees"),
        ("stell die Heizung auf einundzwanzig Grad", "set heating to 21 degrees"),
        ("Mach die Küchenlampe aus", "turn kitchen light off"),
        # French: elision, number words joined
        ("verrouille la porte d'entrée", "lock front door"),
        ("éteins la télé", "turn off tv"),
        ("mets le chauffage à vingt et un degrés", "set heating to 21 degrees"),
        ("baisse les stores à quatre-vingt-dix pour cent", "lower blinds to 90 percent"),
        ("allume une lampe", "turn on light"),
        # Spanish, Italian, Dutch, Portuguese
        ("apaga las luces del dormitorio", "turn off lights bedroom"),
        ("baja el volumen de la tele", "turn down volume tv"),
        ("pon la luz al veintidós por ciento", "set light to 22 percent"),
        ("imposta il termostato a ventidue gradi", "set thermostat to 22 degrees"),
        ("accendi la lampada della camera da letto", "turn on light bedroom"),
        ("doe de woonkamerlamp uit", "turn living room light off"),
        ("zet de thermostaat op eenentwintig graden", "turn thermostat to 21 degrees"),
        ("fecha as persianas da sala", "close blinds living room"),
        # idioms read as a whole: "in de keuken" is where, not the "in" of "schakel ... in"
        # (switch on); "echar el cerrojo" is to bolt the door, never to unlock it
        ("Schakel in de keuken de verlichting uit", "switch in kitchen light off"),
        ("schakel de lamp in", "switch light on"),
        ("echar el cerrojo en la puerta principal", "lock in front door"),
        ("quita el cerrojo", "unlock"),
        # Accents may be missing
        ("eteins la lumiere du salon", "turn off light living room"),
    ],
)
def test_glosses_in_source_order(text: str, expected: str) -> None:
    assert gloss(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("打开客厅的灯", "turn on living room lights"),
        ("把卧室的窗帘拉上", "bedroom curtains close"),
        ("把温度调到二十二度", "temperature set to 22 degrees"),
        ("灯光调到百分之五十", "lights set to 50 percent"),
        ("打开车库门", "open garage door"),  # 打开: open, since a door is named
        ("关闭电视", "turn off tv"),
        ("カーテンを閉めてください", "curtains close"),
        ("音楽を一時停止して", "music pause"),  # 一 of 一時 is not a number
        ("エアコンを二十五度に設定して", "air conditioning 25 degrees set"),
        # Korean: stems found inside eojeol, endings and particles left behind
        ("거실 불 켜줘", "living room lights turn on"),
        ("거실에 불을 켜 주세요", "living room lights turn on"),
        ("티비 꺼줘", "tv turn off"),
        ("현관문 잠가줘", "front door lock"),
        ("온도 22도로 맞춰줘", "temperature 22 degrees set"),
    ],
)
def test_cjk_longest_match_over_characters(text: str, expected: str) -> None:
    assert gloss(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "turn off the kitchen light",
        "open the garage door",
        "put the blinds at a quarter",
        "set the thermostat too 21 degres",
        "water the garden",
        "tell me a joke",
        "Wie spät ist es?",  # German, but nothing of home control
        "오늘 날씨 어때",
        "",
    ],
)
def test_no_gloss_for_english_or_nothing_matched(text: str) -> None:
    assert gloss(text) is None


def test_no_english_request_of_the_shared_bench_is_glossed() -> None:
    cases = ROOT.parent / "shared" / "bench" / "intents-en" / "cases.yaml"
    if not cases.exists():
        pytest.skip("the shared English bench is not here")
    texts = [c["text"] for c in yaml.safe_load(cases.read_text())["cases"]]
    glossed = {t: gloss(t) for t in texts if gloss(t) is not None}
    assert glossed == {}


def test_languages_limit_the_glossaries_tried() -> None:
    assert gloss("apaga las luces", ["es"]) == "turn off lights"
    assert gloss("apaga las luces", ["de"]) is None
    assert gloss("apaga las luces", ["xx"]) is None


def test_user_message_adds_the_gloss_and_leaves_english_alone() -> None:
    assert user_message("turn off the lights here", "Kitchen") == (
        "[in kitchen] turn off the lights in the kitchen"
    )
    assert user_message("apaga las luces", None) == (
        "apaga las luces\n(in English: turn off lights)"
    )
    assert user_message("apaga las luces aquí", "Kitchen") == (
        "[in kitchen] apaga las luces aquí\n(in English: turn off lights in the kitchen)"
    )


def test_prompt_prefix_is_unchanged_by_a_glossed_request() -> None:
    registry = load_config(ROOT / "config.example.yaml").registry()
    language = build_language(registry)
    prompt = build_prompt(registry, list(registry.devices), language)
    english = prompt.messages()[:-1]
    spanish = replace(prompt, user=user_message("apaga las luces del dormitorio", None))
    assert spanish.messages()[:-1] == english
    assert spanish.messages()[-1]["content"].endswith("(in English: turn off lights bedroom)")


def test_malformed_glossaries_are_refused_with_the_reason() -> None:
    with pytest.raises(GlossaryError, match=r"x\.yaml: 'language'"):
        parse("x.yaml", {"gloss": {}})
    with pytest.raises(GlossaryError, match="unknown keys"):
        parse("x.yaml", {"language": "x", "words": {}})
    with pytest.raises(GlossaryError, match="False is not a word"):
        parse("x.yaml", {"language": "x", "gloss": {"in": ["em", False]}})  # YAML's unquoted no
    with pytest.raises(GlossaryError, match="expected a list"):
        parse("x.yaml", {"language": "x", "gloss": {"turn on": "allume"}})
    with pytest.raises(GlossaryError, match="whole numbers"):
        parse("x.yaml", {"language": "x", "numbers": {"veinti": "20"}})


def test_a_parsed_glossary_reads_numbers_and_end_of_request() -> None:
    glossary = parse(
        "x.yaml",
        {
            "language": "x",
            "gloss": {"open": ["auf $"], "to": ["auf #"], "light": ["licht"], "20": ["zwanzig"]},
            "drop": ["das"],
        },
    )
    assert read(glossary, "das licht auf").words == ("light", "open")
    assert read(glossary, "das licht auf 20").words == ("light", "to", "20")
    assert read(glossary, "das licht auf zwanzig").words == ("light", "to", "20")


class _RecordingBackend:
    """An OpenAI-style backend stand-in (as hub.llm.remote is): records what it is sent."""

    name = "recording"

    def __init__(self) -> None:
        self.sent: list[list[dict[str, str]]] = []

    def generate(self, prompt: Prompt, schema: object, **_: object) -> Generation:
        self.sent.append(prompt.messages())
        return Generation('{"commands": ["turn off bedroom lights"]}', 10, 5, 1.0)

    def warm(self, prompt: Prompt) -> None:
        pass

    def close(self) -> None:
        pass


def test_a_remote_style_backend_is_sent_the_gloss_with_the_same_prefix() -> None:
    registry = load_config(ROOT / "config.example.yaml").registry()
    backend = _RecordingBackend()
    tier = LLMTier(lambda: SchemaLines(backend))  # type: ignore[arg-type]
    spanish = tier.handle(Request("apaga las luces del dormitorio"), registry)
    tier.handle(Request("switch off the bedroom lights"), registry)
    assert spanish is not None
    assert {c.action for c in spanish.commands} == {"light.turn_off"}
    glossed, english = backend.sent
    assert glossed[:-1] == english[:-1]
    assert glossed[-1]["content"] == (
        "apaga las luces del dormitorio\n(in English: turn off lights bedroom)"
    )
    assert english[-1]["content"] == "switch off the bedroom lights"


def test_han_alone_is_read_as_chinese_before_japanese() -> None:
    """上一曲 (the previous track) is not the Japanese 曲 (music); kana make it Japanese."""
    assert gloss("TV上一曲") == "tv previous track"
    assert gloss("電気を消して") == "lights turn off"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("schalte den Ventilator im Wohnzimmer ab", {"fan", "off"}),
        ("Haustür entsperren", {"unlock"}),
        ("Wiederhole den letzten Titel auf TV", {"again", "previous"}),
        ("vuelve a última pista en TV", {"back", "previous"}),
        ("maak voordeur ontgrendeld", {"unlocked"}),
        ("déverrouille la serrure", {"unlock", "deadbolt"}),
        ("alle lampen uit doen in deze ruimte", {"all", "here"}),
        ("dormitorio mínimo brillo", {"min"}),
        # what plays, and skipping it
        ("salta pista en la TV", {"skip", "track"}),
        ("sla dit op de TV over", {"skip"}),
        ("Arrête le film sur la TV", {"movie"}),
        ("Remettre la lecture en marche", {"again", "playback", "on"}),
        ("Starte nächsten Titel im Wohnzimmer", {"next", "song"}),
        # a plural is a plural; the lock, the thing
        ("sluit het gordijn", {"curtain"}),
        ("Alle woonkamerventilators uitschakelen", {"all", "living", "fans"}),
        ("把前门的锁打开", {"deadbolt", "open"}),
    ],
)
def test_words_that_speak_of_direction_and_extremes(text: str, words: set[str]) -> None:
    english = gloss(text) or ""
    assert words <= set(english.split()), english
