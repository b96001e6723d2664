# Shared by scripts/demo, scripts/test and scripts/build-sdk: install what is missing,
# idempotently, and do nothing (quickly) when it is already there. Source it; don't run it.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$HOME/.cargo/bin:$PATH"
# The wasm-bindgen CLI must match the crate exactly; the root Cargo.toml is the one source.
WASM_BINDGEN_VERSION="$(sed -n 's/^wasm-bindgen = "=\(.*\)"$/\1/p' "$ROOT/Cargo.toml")"

step() { printf '\n==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else die "need root to run: $* (install it by hand, or run as root)"
  fi
}

APT_UPDATED=""
ensure_apt() { # ensure_apt PACKAGE... (Debian packages)
  local missing=()
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  step "installing Debian packages: ${missing[*]}"
  if [ -z "$APT_UPDATED" ]; then as_root apt-get update -qq; APT_UPDATED=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

ensure_rust_wasm() {
  command -v cargo >/dev/null || die "cargo is missing: install Rust with rustup first"
  if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    step "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
  # The shipped SDK rebuilds the standard library (scripts/build-sdk), which needs its source.
  if ! rustup component list --installed 2>/dev/null | grep -qx rust-src; then
    step "adding the rust-src component"
    rustup component add rust-src
  fi
  if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]; then
    step "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 2 minutes, once)"
    # Not --locked: its lockfile names a crate version the registry here lacks.
    cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force --quiet
  fi
}

ensure_wasm_pack() {
  if ! command -v wasm-pack >/dev/null; then
    step "installing wasm-pack (about 2 minutes, once)"
    cargo install wasm-pack --locked --quiet
  fi
}

ensure_twiggy() { # twiggy, for the size test's list of what weighs most in each wasm
  if ! command -v twiggy >/dev/null; then
    step "installing twiggy (about a minute, once)"
    cargo install twiggy --locked --quiet
  fi
}

ensure_npm() { # ensure_npm DIR: install DIR's locked npm packages if missing or stale
  local dir="$ROOT/$1"
  if [ ! -f "$dir/node_modules/.package-lock.json" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    step "installing npm packages in $1/"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

# ensure_duckdb: a Python venv under target/ with DuckDB, for the journey benchmark only
# (scripts/bench); prints its python. Pinned so that every run measures the same DuckDB.
DUCKDB_VERSION="2.0.1"
ensure_duckdb() {
  local venv="$ROOT/target/bench-venv"
  if ! "$venv/bin/python" -c "import duckdb, sys; sys.exit(duckdb.__version__ != '$DUCKDB_VERSION')" 2>/dev/null; then
    step "installing DuckDB $DUCKDB_VERSION (PyPI) in target/bench-venv"
    ensure_apt python3-venv
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "duckdb==$DUCKDB_VERSION"
  fi
  printf '%s\n' "$venv/bin/python"
}

# True when any file under the given paths is newer than the stamp file.
newer_than() {
  local stamp="$1"; shift
  [ ! -f "$stamp" ] && return 0
  [ -n "$(find "$@" -newer "$stamp" -type f -print -quit 2>/dev/null)" ]
}
