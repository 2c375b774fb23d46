#!/usr/bin/env bash
# Set up what is missing (with the dev tools), then lint, type-check and run the whole suite.
# Extra arguments go to pytest, e.g. scripts/test.sh -k validator
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --dev
echo "==> ruff" >&2
.venv/bin/ruff check hub tests bench
.venv/bin/ruff format --check hub tests bench
echo "==> mypy" >&2
.venv/bin/mypy hub
echo "==> import layers (lint-imports, contracts in pyproject.toml)" >&2
.venv/bin/lint-imports
echo "==> pytest" >&2
exec .venv/bin/pytest "$@"
