#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Installs the Debian 12 packages Orderly needs to build, run and test.
# Sourced by run.sh and test.sh; does nothing when everything is present.

ORDERLY_BUILD_PACKAGES=(
  build-essential pkg-config meson ninja-build gettext
  libglib2.0-dev libglib2.0-bin libgtk-4-dev libadwaita-1-dev
  libsoup-3.0-dev libjson-glib-dev libsqlite3-dev libpq-dev glib-networking
  desktop-file-utils appstream gsettings-desktop-schemas
)
ORDERLY_TEST_PACKAGES=(
  xvfb xauth dbus dbus-x11 libgtk-4-bin fonts-cantarell adwaita-icon-theme
  clang libclang-rt-14-dev sqlite3 postgresql postgresql-client nodejs npm chromium openssl
)

orderly_missing_packages ()
{
  local pkg missing=()
  for pkg in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
      missing+=("$pkg")
    fi
  done
  echo "${missing[@]}"
}

orderly_install_packages ()
{
  local missing
  missing=$(orderly_missing_packages "$@")
  [ -z "$missing" ] && return 0
  # node and npm may come from elsewhere on developer machines
  if command -v node >/dev/null && command -v npm >/dev/null; then
    missing=$(echo " $missing " | sed -e 's/ nodejs / /' -e 's/ npm / /')
    missing=$(echo $missing)
    [ -z "$missing" ] && return 0
  fi
  if [ "$(id -u)" != 0 ]; then
    echo "Missing packages: $missing (run as root, or install them)" >&2
    return 1
  fi
  echo "Installing: $missing"
  export DEBIAN_FRONTEND=noninteractive
  # The tests start PostgreSQL servers of their own: the package needs no
  # system cluster.
  if [[ " $missing " == *" postgresql "* ]] && [ ! -e /etc/postgresql-common/createcluster.conf ]; then
    mkdir -p /etc/postgresql-common
    echo "create_main_cluster = false" >/etc/postgresql-common/createcluster.conf
  fi
  if [ -z "${ORDERLY_APT_UPDATED:-}" ]; then
    apt-get update -q || return 1
    export ORDERLY_APT_UPDATED=1
  fi
  # shellcheck disable=SC2086
  apt-get install -y -q --no-install-recommends $missing || return 1
}
