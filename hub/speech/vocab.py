"""The words a Vosk model knows: ``graph/words.txt``, or the symbol table inside ``Gr.fst``.

Vosk drops a grammar word it does not know with a warning on stderr; hub reads the model's
vocabulary itself so that it can split such words into known pieces, and report the ones it
cannot, by name, when the hub starts.
"""

from __future__ import annotations

import logging
import struct
from pathlib import Path
from typing import BinaryIO

from hub.errors import SpeechError

_LOGGER = logging.getLogger(__name__)

_FST_MAGIC = 2125659606
_SYMBOLS_MAGIC = 2125658996
_HAS_INPUT_SYMBOLS = 1
_HAS_OUTPUT_SYMBOLS = 2
# Kaldi's and Vosk's markers, never spoken words
NON_WORDS = frozenset({"<eps>", "!SIL", "<UNK>", "<unk>", "[unk]", "<SPOKEN_NOISE>", "#0"})


class VocabularyError(SpeechError):
    """The model's word list cannot be read."""


def load_vocabulary(model_dir: Path) -> frozenset[str] | None:
    """The model's words, or None when the model keeps them nowhere hub can read."""
    for words in (model_dir / "graph" / "words.txt", model_dir / "words.txt"):
        if words.is_file():
            return _words_txt(words)
    for fst in (model_dir / "graph" / "Gr.fst", model_dir / "graph" / "HCLG.fst"):
        if fst.is_file():
            found = _fst_output_symbols(fst)
            if found is not None:
                return found
    _LOGGER.warning(
        "The speech model in %s has no word list; unknown words go unreported", model_dir
    )
    return None


def _words_txt(path: Path) -> frozenset[str]:
    try:
        with path.open(encoding="utf-8") as file:
            return frozenset(
                line.split()[0]
                for line in file
                if line.strip() and line.split()[0] not in NON_WORDS
            )
    except (OSError, UnicodeDecodeError) as exc:
        raise VocabularyError(f"cannot read {path}: {exc}") from None


def _fst_output_symbols(path: Path) -> frozenset[str] | None:
    """The output symbol table stored in an OpenFst file's header (Vosk's lookahead Gr.fst)."""
    try:
        with path.open("rb") as file:
            if _int32(file) != _FST_MAGIC:
                return None
            _string(file)  # fst type
            _string(file)  # arc type
            _int32(file)  # version
            flags = _int32(file)
            file.read(8 + 8 + 8 + 8)  # properties, start, states, arcs
            if flags & _HAS_INPUT_SYMBOLS:
                _symbols(file)
            if not flags & _HAS_OUTPUT_SYMBOLS:
                return None
            return frozenset(w for w in _symbols(file) if w not in NON_WORDS)
    except (OSError, struct.error, UnicodeDecodeError, ValueError) as exc:
        raise VocabularyError(f"cannot read the words in {path}: {exc}") from None


def _symbols(file: BinaryIO) -> list[str]:
    if _int32(file) != _SYMBOLS_MAGIC:
        raise ValueError("not an OpenFst symbol table")
    _string(file)  # name
    _int64(file)  # available key
    size = _int64(file)
    words: list[str] = []
    buffer = b""
    pos = 0
    unpack = struct.unpack_from
    while len(words) < size:  # (int32 length, bytes, int64 key) each, read in big chunks
        if len(buffer) - pos < 4 + 1024 + 8:
            more = file.read(1 << 22)
            buffer = buffer[pos:] + more
            pos = 0
            if not more and len(buffer) < 12:
                raise ValueError("the symbol table is cut short")
        (length,) = unpack("<i", buffer, pos)
        if not 0 <= length <= 1024:
            raise ValueError(f"bad symbol length {length}")
        start = pos + 4
        words.append(buffer[start : start + length].decode("utf-8"))
        pos = start + length + 8
    file.seek(pos - len(buffer), 1)  # give back what was read past the table
    return words


def _int32(file: BinaryIO) -> int:
    value: int = struct.unpack("<i", file.read(4))[0]
    return value


def _int64(file: BinaryIO) -> int:
    value: int = struct.unpack("<q", file.read(8))[0]
    return value


def _string(file: BinaryIO) -> str:
    size = _int32(file)
    if not 0 <= size <= 1 << 20:
        raise ValueError(f"bad string length {size}")
    return file.read(size).decode("utf-8")
