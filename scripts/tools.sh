#!/usr/bin/env bash
# Finds the tools `make` needs by running them: a candidate counts only if it executes and
# reports the right version, so a pyenv shim for another Python, or a broken `uv` early on
# PATH, is passed over instead of failing the build.
#
#   scripts/tools.sh python             the path of a working Python 3.12, or nothing
#   scripts/tools.sh uv PYTHON          the path of a working uv, or nothing
#   scripts/tools.sh install-uv PYTHON  installs uv with PYTHON's pip, prints its path
#   scripts/tools.sh port-free PORT     exits 1 when something listens on 127.0.0.1:PORT
set -uo pipefail

# Runs "$@" with a time limit, so a hung candidate cannot hang make.
try() { timeout 20 "$@" 2>/dev/null; }

python312() {
  local candidate found
  local pyenv_root="${PYENV_ROOT:-$HOME/.pyenv}"
  for candidate in python3.12 "$pyenv_root"/versions/3.12*/bin/python3.12 \
    /usr/local/bin/python3.12 /usr/bin/python3.12 python3; do
    found=$(try "$candidate" -c \
      'import sys; assert sys.version_info[:2] == (3, 12); print(sys.executable)') &&
      [ -n "$found" ] && { echo "$found"; return 0; }
  done
  return 1
}

# uv counts when `uv --version` answers "uv X.Y.Z" with a release that reads our uv.lock.
uv_works() {
  local version
  version=$(try "$1" --version) || return 1
  [[ $version =~ ^uv\ 0\.([0-9]+)\. ]] && ((BASH_REMATCH[1] >= 5))
}

uv_path() {
  local python=$1 candidate
  # The uv beside the chosen Python first (where its pip puts it), then the module that pip
  # installs, then every uv on PATH in order, then uv's own installer locations.
  local candidates=("$(dirname "$python")/uv")
  candidates+=("$(try "$python" -c 'from uv import find_uv_bin; print(find_uv_bin())')")
  while IFS= read -r candidate; do candidates+=("$candidate"); done < <(type -ap uv)
  candidates+=("$HOME/.local/bin/uv" "$HOME/.cargo/bin/uv")
  for candidate in "${candidates[@]}"; do
    [ -n "$candidate" ] && [ -x "$candidate" ] && uv_works "$candidate" &&
      { echo "$candidate"; return 0; }
  done
  return 1
}

case "${1:-}" in
  python) python312 ;;
  uv) uv_path "$2" ;;
  install-uv)
    uv_path "$2" && exit 0
    "$2" -m pip install --quiet --disable-pip-version-check uv >&2 ||
      "$2" -m pip install --quiet --disable-pip-version-check --user uv >&2
    uv_path "$2" || { echo "Could not install uv with $2 -m pip." >&2; exit 1; }
    ;;
  port-free) ! (exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null ;;
  *) echo "usage: $0 python | uv PYTHON | install-uv PYTHON | port-free PORT" >&2; exit 2 ;;
esac
