#!/usr/bin/env bash
# Sets up keyport on a fresh Debian machine: pnpm 10, the dependencies and a build.
#   bash scripts/bootstrap.sh          what running keyport needs
#   bash scripts/bootstrap.sh --test   also the Debian packages the tests and benchmarks use
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" = "--test" ]; then
  # GnuPG is the tests' oracle and peer; debian-keyring is real-world test and benchmark data;
  # sks is a real HKP server for integration tests; GNU time measures peak memory in `pnpm bench`;
  # openssl makes the throwaway CA of the WKD TLS fixture.
  need=()
  command -v gpg >/dev/null 2>&1 || need+=(gnupg)
  command -v dirmngr >/dev/null 2>&1 || need+=(dirmngr)
  [ -x /usr/sbin/sks ] || command -v sks >/dev/null 2>&1 || need+=(sks)
  [ -f /usr/share/keyrings/debian-keyring.gpg ] || need+=(debian-keyring)
  [ -x /usr/bin/time ] || need+=(time)
  command -v openssl >/dev/null 2>&1 || need+=(openssl)
  # tmux drives the real binary in the terminal-UI end-to-end tests and the first-frame bench.
  command -v tmux >/dev/null 2>&1 || need+=(tmux)
  # man-db and groff render the generated man page (`man -l`) in the docs-gen tests.
  command -v man >/dev/null 2>&1 && command -v groff >/dev/null 2>&1 || need+=(man-db groff-base)
  if [ "${#need[@]}" -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}"
  fi
fi

# The bundled corepack fails its signature check on these machines; npm's pnpm works.
if ! pnpm --version 2>/dev/null | grep -q '^10\.'; then
  npm install -g pnpm@10 >/dev/null
fi
export TURBO_TELEMETRY_DISABLED=1
pnpm install --frozen-lockfile
pnpm build
