"""The types of a GGUF file's tensors, read from its header (no native code, no weights read).

GGUF (llama.cpp's file format, version 2 and 3): the magic ``GGUF``, a version, the tensor and
key/value counts, the key/value pairs, then one record per tensor: its name, dimensions, type
(``enum ggml_type``) and offset. Only the header is read: a few MB for the vocabulary.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import BinaryIO

from hub.errors import ModelError

# enum ggml_type, the ones hub names
GGML_TYPES = {"F32": 0, "F16": 1, "Q4_0": 2, "Q5_0": 6, "Q8_0": 8, "Q4_K": 12, "Q6_K": 14}
# the size of each fixed-size GGUF value type; 8 is a string, 9 an array
_SIZES = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}


def tensor_types(path: Path) -> dict[str, int]:
    """Each tensor's name and ``ggml_type`` in the GGUF file at ``path``."""
    try:
        with path.open("rb") as f:
            if f.read(4) != b"GGUF":
                raise ModelError(f"{path} is not a GGUF file")
            version, n_tensors, n_kv = struct.unpack("<IQQ", f.read(20))
            if version not in (2, 3):
                raise ModelError(f"{path} is GGUF version {version}; hub reads versions 2 and 3")
            for _ in range(n_kv):
                _string(f)
                _skip_value(f, _u32(f))
            types = {}
            for _ in range(n_tensors):
                name = _string(f)
                n_dims = _u32(f)
                f.seek(8 * n_dims, 1)
                types[name] = _u32(f)
                f.seek(8, 1)  # offset
            return types
    except (OSError, struct.error) as exc:
        raise ModelError(f"cannot read the tensors of {path}: {exc}") from exc


def _u32(f: BinaryIO) -> int:
    return int(struct.unpack("<I", f.read(4))[0])


def _string(f: BinaryIO) -> str:
    (size,) = struct.unpack("<Q", f.read(8))
    return f.read(size).decode("utf-8", errors="replace")


def _skip_value(f: BinaryIO, kind: int) -> None:
    if kind == 8:
        (size,) = struct.unpack("<Q", f.read(8))
        f.seek(size, 1)
    elif kind == 9:
        item, count = struct.unpack("<IQ", f.read(12))
        if item in _SIZES:
            f.seek(_SIZES[item] * count, 1)
        else:
            for _ in range(count):
                _skip_value(f, item)
    elif kind in _SIZES:
        f.seek(_SIZES[kind], 1)
    else:
        raise ModelError(f"unknown GGUF value type {kind}")
