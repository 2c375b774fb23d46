"""What is installed, and which file the hub should load.

``resolve_model_path`` is what the LLM tier calls before loading: its errors say which command
fixes the problem, so the daemon can print one useful line and stop.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from hub.errors import ModelError
from hub.modelstore.files import (
    PART_SUFFIX,
    SIDECAR_SUFFIX,
    format_size,
    has_gguf_magic,
    part_path,
    recorded_sha256,
)
from hub.modelstore.requantize import fast_copy_path, needs_copy
from hub.modelstore.specs import (
    DEFAULT_LLM,
    LLM_NAMES,
    ModelSpec,
    models_dir,
    spec_for_filename,
    spec_named,
)
from hub.paths import default_data_dir

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class InstalledModel:
    """A model file in the data directory."""

    name: str  # the known model's name, else the file name without .gguf
    path: Path
    size: int
    verified: bool  # its sha256 was checked after it was written, and it has not changed since

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "path": str(self.path),
            "size": self.size,
            "verified": self.verified,
        }


def list_models(data_dir: Path | None = None) -> list[InstalledModel]:
    """The model files in ``<data_dir>/models``, by name (unfinished downloads left out)."""
    directory = models_dir(default_data_dir() if data_dir is None else data_dir)
    if not directory.is_dir():
        return []
    models = []
    for path in sorted(directory.iterdir()):
        if path.name.startswith(".") or path.name.endswith(
            (PART_SUFFIX, SIDECAR_SUFFIX, SIDECAR_SUFFIX + ".tmp")
        ):
            continue
        if not path.is_file():
            continue
        spec = spec_for_filename(path.name)
        name = spec.name if spec else path.name.removesuffix(".gguf")
        models.append(
            InstalledModel(
                name=name, path=path, size=path.stat().st_size, verified=_verified(path, spec)
            )
        )
    return sorted(models, key=lambda m: m.name)


def _verified(path: Path, spec: ModelSpec | None) -> bool:
    recorded = recorded_sha256(path)
    if recorded is None:
        return False
    return spec is None or (recorded == spec.sha256 and path.stat().st_size == spec.size)


def default_model_path(data_dir: Path | None = None, spec: ModelSpec = DEFAULT_LLM) -> Path:
    """Where ``hub model install`` puts the default language model (or ``spec``)."""
    return models_dir(default_data_dir() if data_dir is None else data_dir) / spec.filename


def resolve_model_path(
    configured: Path | None,
    data_dir: Path | None = None,
    name: str | None = None,
    weights: str = "original",
) -> Path:
    """The GGUF file to load: ``configured`` (the config's ``model.path``) when given, else the
    model called ``name`` (``model.name``; default: the default model) in the data directory,
    or its copy in other ``weights`` (``model.weights``; see :mod:`hub.modelstore.requantize`).
    Checks that it exists and looks like a GGUF file of the right size; the error says how to
    fix it. A missing copy is a warning: the installed file is loaded as it is."""
    if configured is not None:
        path = configured.expanduser()
        if not path.is_file():
            what = "is not a file" if path.exists() else "does not exist"
            raise ModelError(
                f"model.path {path} {what}; fix model.path in the config, or remove it to use "
                "the default model (`hub model install` installs it)"
            )
        problem = _problem(path, None)
        if problem:
            raise ModelError(
                f"model.path {path} is corrupt ({problem}); replace that file, or remove "
                "model.path from the config to use the default model (`hub model install`)"
            )
        return path
    spec = DEFAULT_LLM
    install = "hub model install"
    if name is not None:
        found = spec_named(name)
        if found is None:
            raise ModelError(f"no model is called {name!r}; known: {', '.join(LLM_NAMES)}")
        spec = found
        if spec is not DEFAULT_LLM:
            install = f"hub model install --model {name}"
    path = default_model_path(data_dir, spec)
    if not path.is_file():
        hint = f"run `{install}` to install it"
        if part_path(path).exists():
            hint = f"an earlier install was interrupted: run `{install}` to finish it"
        raise ModelError(f"no language model at {path}; {hint}")
    problem = _problem(path, spec)
    if problem:
        raise ModelError(f"{path} is corrupt ({problem}); run `{install} --verify` to reinstall it")
    if weights == "original":
        return path
    copy = fast_copy_path(path, weights)
    if copy.is_file() and recorded_sha256(copy) is not None and has_gguf_magic(copy):
        return copy
    if not needs_copy(path, weights):  # the file is in those weights already
        return path
    log.warning(
        "The %s copy of %s is missing or was not finished, so the installed file is loaded as "
        "it is; `%s --weights %s` makes it",
        weights.upper(),
        path.name,
        install,
        weights,
    )
    return path


def _problem(path: Path, spec: ModelSpec | None) -> str | None:
    size = path.stat().st_size
    if spec is not None and size != spec.size:
        return f"{format_size(size)} instead of {format_size(spec.size)}"
    if not has_gguf_magic(path):
        return "it does not start with the GGUF magic bytes"
    return None
