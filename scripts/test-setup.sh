#!/usr/bin/env bash
# Installs what the test suites need beyond node_modules. Idempotent: does nothing when every
# tool is already present, and runs `apt-get update` only when a package is actually missing.
#   promtool (Debian package "prometheus") — test/integration/metrics.test.ts checks the real
#   /metrics output with `promtool check metrics`.
#   etcd (Debian package "etcd-server") — test/e2e runs a real Kubernetes control plane.
#   chromium (Debian package) — test/e2e/console.test.ts drives it headless via playwright-core
#   (executablePath /usr/bin/chromium); no browser is ever downloaded.
set -euo pipefail
bash "$(dirname "${BASH_SOURCE[0]}")/build-consul.sh" >/dev/null  # Consul for test/integration/consul.test.ts (built once, cached outside the repo)
bash "$(dirname "${BASH_SOURCE[0]}")/build-k8s.sh" >/dev/null  # kube-apiserver, kube-controller-manager, kubectl for test/e2e (built once, cached outside the repo)

need_pkgs=()
command -v promtool >/dev/null 2>&1 || need_pkgs+=(prometheus)
command -v etcd >/dev/null 2>&1 || need_pkgs+=(etcd-server)
[ -x /usr/bin/chromium ] || need_pkgs+=(chromium)

if [ ${#need_pkgs[@]} -eq 0 ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "test-setup: need root (or sudo) to install: ${need_pkgs[*]}" >&2
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
# Only refresh the package index when the candidate is unknown (fresh container).
if ! apt-cache show "${need_pkgs[@]}" >/dev/null 2>&1; then
  $SUDO apt-get update -qq
fi
# --no-install-recommends: we need the promtool binary, not a running Prometheus service.
$SUDO apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
command -v promtool >/dev/null 2>&1 || { echo "test-setup: promtool still missing" >&2; exit 1; }
command -v etcd >/dev/null 2>&1 || { echo "test-setup: etcd still missing" >&2; exit 1; }
[ -x /usr/bin/chromium ] || { echo "test-setup: /usr/bin/chromium still missing" >&2; exit 1; }
echo "test-setup: installed ${need_pkgs[*]}"
