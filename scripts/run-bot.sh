#!/usr/bin/env bash
# Sets everything up, then runs the bot (`python -m bot`). Arguments go to the bot.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/python -m bot "$@"
