#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Installs what Orderly needs, builds it in _build and starts it: the window
# when a display is available, otherwise the headless server.
# Extra arguments are passed to orderly, e.g. build-aux/run.sh --port 9000
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
. build-aux/deps.sh
orderly_install_packages "${ORDERLY_BUILD_PACKAGES[@]}"

if [ ! -f _build/build.ninja ]; then
  meson setup _build -Dprofile=development
fi
meson compile -C _build

# Schemas compiled into the build tree let the uninstalled binary find its settings.
export GSETTINGS_SCHEMA_DIR="$top/_build/data"
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ -x _build/src/orderly ] \
   && _build/src/orderly --help 2>/dev/null | grep -q -- '--headless'; then
  exec _build/src/orderly "$@"
fi
exec _build/src/orderly --headless "$@"
