#!/usr/bin/env bash
# Install what ot_magic, its examples and its tests need: the package with its test extra
# (editable), Debian's Chromium for the browser test and, when there is no java, Debian's
# OpenJDK 17 for Spark (tests/test_spark.py). Idempotent: a second run only checks.
#   bash scripts/setup.sh
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-$(command -v python || command -v python3)}"

# True when this checkout is installed (editable) and every requirement, test extra included,
# is satisfied by what is installed: then pip has nothing to do.
installed() {
  "$PYTHON" -I - <<'PY' 2>/dev/null
import json, pathlib, sys
from importlib import metadata

try:  # tomllib is Python 3.11+; packaging comes with pip's usual companions. Without either,
    import tomllib  # say "not installed" and let pip decide.
    from packaging.requirements import Requirement
except ImportError:
    sys.exit(1)

project = tomllib.loads(pathlib.Path("pyproject.toml").read_text())["project"]
dist = metadata.distribution(project["name"])
url = json.loads(dist.read_text("direct_url.json") or "{}")
if url.get("url") != pathlib.Path.cwd().as_uri() or dist.version != project["version"]:
    sys.exit(1)
extras, specs = project["optional-dependencies"], list(project["dependencies"])
for spec in extras["test"]:  # the test extra may name other extras of this project
    req = Requirement(spec)
    mine = req.name == project["name"]
    specs += [s for extra in req.extras for s in extras[extra]] if mine else [spec]
for spec in specs:
    req = Requirement(spec)
    if req.marker is None or req.marker.evaluate():
        if not req.specifier.contains(metadata.version(req.name), prereleases=True):
            sys.exit(1)
PY
}

if installed; then
  echo "setup: ot-magic and its test requirements are installed"
else
  echo "setup: pip install -e .[test]"
  "$PYTHON" -m pip install --disable-pip-version-check -q -e ".[test]"
fi

# Debian packages, as root or through sudo.
apt_install() {
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "$@"
}

if [ -x /usr/bin/chromium ]; then
  echo "setup: $(/usr/bin/chromium --version 2>/dev/null | head -n 1)"
else
  echo "setup: installing Debian's chromium (for the browser test)"
  apt_install chromium fonts-liberation
fi

if command -v java >/dev/null 2>&1; then
  echo "setup: $(java -version 2>&1 | head -n 1)"
else
  echo "setup: installing Debian's openjdk-17-jre-headless (for Spark)"
  apt_install openjdk-17-jre-headless
fi
