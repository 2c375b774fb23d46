"""Keeping a model's answer to the facts it was given.

A 0.5B model asked to answer from facts will sometimes add a number, a name or a code of its
own. An answer passes only if every number in it, and every word that looks like a name or a
code (digits, capitals inside, symbols), appears in the facts; otherwise the hub says the fact
as written instead.
"""

from __future__ import annotations

import re

_NUMBER = re.compile(r"\d+(?:[.,:]\d+)*")
_TOKEN = re.compile(r"[^\s,.;:!?()\"«»“”]+")


def grounded(answer: str, facts: str) -> bool:
    folded = facts.casefold()
    for number in _NUMBER.findall(answer):
        if number not in facts:
            return False
    for token in _TOKEN.findall(answer):
        if _looks_like_a_name(token) and token.casefold() not in folded:
            return False
    return True


def _looks_like_a_name(token: str) -> bool:
    """A code or proper name: digits mixed with letters, capitals inside, or symbols."""
    if len(token) < 3:
        return False
    has_digit = any(ch.isdigit() for ch in token)
    has_alpha = any(ch.isalpha() for ch in token)
    inner_capital = any(ch.isupper() for ch in token[1:])
    symbol = any(not ch.isalnum() and ch not in "'-’" for ch in token)
    return (has_digit and has_alpha) or inner_capital or symbol
