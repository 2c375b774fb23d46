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
extras="llm,model,speech"
[ "$DEV" = 1 ] && extras="llm,model,speech,dev"
stamp=".venv/.hub-installed-$extras"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    say "installing hub[$extras] into .venv (the first time pip builds llama-cpp-python: minutes)"
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -e ".[$extras]"
    touch "$stamp"
fi

# -- the default model -----------------------------------------------------------------------
.venv/bin/hub model install --quiet >/dev/null
say "ready: $(.venv/bin/hub --version)"
