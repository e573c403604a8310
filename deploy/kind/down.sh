#!/usr/bin/env bash
# Delete the kind cluster deploy/kind/up.sh created (Istio, Prometheus, Bookinfo and meshlens
# go with it). The meshlens image built on the host stays: remove it with `docker rmi` if wanted.
set -euo pipefail

CLUSTER=meshlens # the name in kind-config.yaml

if ! command -v kind >/dev/null 2>&1; then
  echo "down.sh: kind not found: install it from https://kind.sigs.k8s.io/docs/user/quick-start/#installation" >&2
  exit 1
fi
# up.sh chose podman when docker did not answer; kind must be told again here.
if [[ -z ${KIND_EXPERIMENTAL_PROVIDER:-} ]] && ! docker info >/dev/null 2>&1 &&
  command -v podman >/dev/null 2>&1; then
  export KIND_EXPERIMENTAL_PROVIDER=podman
fi
kind delete cluster --name "$CLUSTER"
