"""Looks people ask lights for, as the colour the command language can set.

"Make the lamp look like a sunset" names no colour, and the 0.5B model does not make the leap
(it answers "white"). A request about a light's look that names a sight, a season or a mood
gets the colour on a line of its own, the way another language gets its English gloss
(``hub.llm.prompt.user_message``): "(colour: orange)". The model still chooses the line.
"""

from __future__ import annotations

import re

from hub.text.fold import normalize_name

# Words that make a request about a light's look (one of them must be there).
LIGHT_WORDS = frozenset(
    {"light", "lights", "lamp", "lamps", "bulb", "bulbs", "led", "leds", "strip", "look"}
    | {"looks", "feel", "glow", "mood", "colour", "color", "ambience", "ambiance", "vibe"}
)

# A sight, season or mood -> a colour name of hub.llm.command_language (first match wins).
LOOKS: tuple[tuple[str, str], ...] = (
    ("candlelight", "warm white"),
    ("candle", "warm white"),
    ("cozy", "warm white"),
    ("cosy", "warm white"),
    ("fireplace", "orange"),
    ("sunset", "orange"),
    ("sunrise", "orange"),
    ("autumn", "orange"),
    ("halloween", "orange"),
    ("pumpkin", "orange"),
    ("ocean", "blue"),
    ("sea", "blue"),
    ("sky", "blue"),
    ("underwater", "blue"),
    ("forest", "green"),
    ("jungle", "green"),
    ("grass", "green"),
    ("romantic", "red"),
    ("valentine", "red"),
    ("valentines", "red"),
    ("christmas", "red"),
    ("lavender field", "lavender"),
    ("daylight", "daylight"),
    ("focus", "cool white"),
)

COLOUR_WORDS = re.compile(
    r"\b(red|orange|yellow|green|blue|purple|pink|white|cyan|magenta|violet|turquoise|gold|"
    r"lime|teal|indigo|crimson|coral|salmon|lavender|warm|cool|daylight)\b"
)


def look_colour(text: str) -> str | None:
    """The colour for a request about a light's look that names no colour, or None."""
    words = normalize_name(text)
    if not LIGHT_WORDS & set(words.split()) or COLOUR_WORDS.search(words):
        return None
    padded = f" {words} "
    for phrase, colour in LOOKS:
        if f" {phrase} " in padded:
            return colour
    return None
