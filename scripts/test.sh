#!/usr/bin/env bash
# Run the whole test suite after installing what it needs (see scripts/setup.sh).
#   bash scripts/test.sh            # everything
#   bash scripts/test.sh -m browser # extra arguments go to pytest
# Exits non-zero on any failure, and also when pytest collected nothing (its exit code 5).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
PYTHON="${PYTHON:-$(command -v python || command -v python3)}"
status=0
"$PYTHON" -m pytest -p no:cacheprovider --timeout=900 -rfEs "$@" || status=$?
if [ "$status" = 5 ]; then
  echo "test: pytest collected no tests" >&2
fi
exit "$status"
