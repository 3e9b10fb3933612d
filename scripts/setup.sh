#!/usr/bin/env bash
# Sets up everything the project needs on a Debian machine with Python 3.11+:
# system packages (apt), a project virtualenv in .venv, CPU PyTorch first, then the project.
# Usage: scripts/setup.sh [--dev]     (--dev adds the test and lint tools)
# Idempotent: a second run only checks what is there.
set -euo pipefail
cd "$(dirname "$0")/.."

extras=""
[[ "${1:-}" == "--dev" ]] && extras="[dev]"

PYTHON=${PYTHON:-python3}

# libopus0: Opus for Discord voice; libsndfile1: WAV/FLAC/Ogg through soundfile; g++: the
# fast CPU path compiles its fused kernels with torch.compile (Inductor), which needs a C++
# compiler and Python's headers (without them it falls back, slower, to eager kernels).
# Debian's own python3 keeps venv support and the headers in separate packages.
APT_PACKAGES=(libopus0 libsndfile1 g++)
# The web page's tests drive Debian's chromium headless (Playwright never downloads a browser).
[[ -n "$extras" ]] && APT_PACKAGES+=(chromium)
"$PYTHON" -c "import ensurepip" >/dev/null 2>&1 || APT_PACKAGES+=(python3-venv)
py_include=$("$PYTHON" -c "import sysconfig; print(sysconfig.get_paths()['include'])")
[[ -f "$py_include/Python.h" ]] || APT_PACKAGES+=(python3-dev)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if ((${#missing[@]})); then
    echo "setup: installing system packages: ${missing[*]}"
    sudo_cmd=()
    [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [[ ! -x .venv/bin/python ]]; then
    echo "setup: creating .venv"
    "$PYTHON" -m venv .venv
fi
PIP=(.venv/bin/python -m pip --disable-pip-version-check -q)

# The CPU build of torch must come first: a bare torch requirement pulls CUDA packages.
TORCH_VERSION=${TORCH_VERSION:-2.13.0}
if ! .venv/bin/python -c "import torch" >/dev/null 2>&1; then
    echo "setup: installing torch==${TORCH_VERSION} (CPU)"
    "${PIP[@]}" install "torch==${TORCH_VERSION}"
fi

stamp=".venv/.installed${extras}"
if [[ ! -f "$stamp" || pyproject.toml -nt "$stamp" ]]; then
    echo "setup: installing the project${extras}"
    "${PIP[@]}" install -e ".${extras}"
    touch "$stamp"
fi

# spaCy's English model reads heteronyms best; without it a rule tagger stands in. Installed
# here when spaCy's download is reachable (the bot itself never downloads at runtime); tried
# once per virtualenv (delete .venv/.spacy-model-tried to try again).
if [[ ! -f .venv/.spacy-model-tried ]] && ! .venv/bin/python -c "import en_core_web_sm" 2>/dev/null
then
    touch .venv/.spacy-model-tried
    if PIP_DEFAULT_TIMEOUT=15 timeout 60 .venv/bin/python -m spacy download en_core_web_sm \
        >/dev/null 2>&1; then
        echo "setup: installed spaCy's en_core_web_sm"
    else
        echo "setup: spaCy's en_core_web_sm is not reachable; English uses the rule tagger"
    fi
fi
