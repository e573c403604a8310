#!/usr/bin/env bash
# Create a local kind cluster running Istio (demo profile), Prometheus, Bookinfo and meshlens.
#   bash deploy/kind/up.sh     create or update it (safe to run again)
#   bash deploy/kind/down.sh   delete it
# Needs docker or podman, kind, kubectl and istioctl; see deploy/kind/README.md.
# ISTIO_HOME: an unpacked Istio release whose samples/ to apply (default: the release istioctl
# was unpacked with, else the samples of istioctl's version on raw.githubusercontent.com).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
CLUSTER=meshlens # the name in kind-config.yaml
CONTEXT=kind-$CLUSTER
IMAGE=meshlens:0.1.0 # the image deploy/meshlens.yaml runs
PROMETHEUS_URL=http://prometheus.istio-system:9090

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() {
  printf 'up.sh: %s\n' "$*" >&2
  exit 1
}
# Every kubectl call names the kind context, so a switched current context never gets Bookinfo.
k() { kubectl --context "$CONTEXT" "$@"; }

# --- prerequisites: one line per missing tool, then stop -------------------------------------
ENGINE=
missing=0
need() {
  if ! command -v "$1" >/dev/null 2>&1; then
    printf 'up.sh: %s not found: install it from %s\n' "$1" "$2" >&2
    missing=1
  fi
}
pick_engine() {
  local candidates=(docker podman) installed=()
  # kind's podman provider is opt-in; honour it when someone has both engines.
  if [[ ${KIND_EXPERIMENTAL_PROVIDER:-} == podman ]]; then candidates=(podman); fi
  for engine in "${candidates[@]}"; do
    command -v "$engine" >/dev/null 2>&1 || continue
    installed+=("$engine")
    if "$engine" info >/dev/null 2>&1; then
      ENGINE=$engine
      return
    fi
  done
  if [[ ${#installed[@]} -eq 0 ]]; then
    echo "up.sh: no container engine (docker or podman) found: install Docker" \
      "(https://docs.docker.com/engine/install/) or Podman (https://podman.io/docs/installation)" >&2
  else
    printf 'up.sh: %s is installed but "%s info" fails: start its daemon (or service)\n' \
      "${installed[0]}" "${installed[0]}" >&2
  fi
  missing=1
}
pick_engine
need kind https://kind.sigs.k8s.io/docs/user/quick-start/#installation
need kubectl https://kubernetes.io/docs/tasks/tools/
need istioctl https://istio.io/latest/docs/setup/getting-started/#download
[[ $missing -eq 0 ]] || exit 1
if [[ $ENGINE == podman ]]; then export KIND_EXPERIMENTAL_PROVIDER=podman; fi

# --- where Istio's samples are: a release directory, or GitHub at istioctl's version ----------
istio_samples() {
  if [[ -n ${ISTIO_HOME:-} ]]; then
    [[ -f $ISTIO_HOME/samples/addons/prometheus.yaml ]] ||
      die "ISTIO_HOME=$ISTIO_HOME has no samples/addons/prometheus.yaml: point it at an unpacked Istio release"
    printf '%s\n' "$ISTIO_HOME/samples"
    return
  fi
  # A release unpacks as istio-X.Y.Z/{bin/istioctl,samples/}; istioctl may be a symlink to it.
  local istioctl_path release
  istioctl_path=$(command -v istioctl)
  istioctl_path=$(realpath "$istioctl_path" 2>/dev/null || printf '%s' "$istioctl_path")
  release=$(dirname "$(dirname "$istioctl_path")")
  if [[ -f $release/samples/addons/prometheus.yaml ]]; then
    printf '%s\n' "$release/samples"
    return
  fi
  local out first version
  out=$(istioctl version --remote=false 2>/dev/null) || die "istioctl version failed"
  first=${out%%$'\n'*}
  version=${first##* } # "1.24.3" or "client version: 1.24.3", depending on istioctl's age
  [[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+ ]] ||
    die "cannot tell istioctl's version from '$first': set ISTIO_HOME to an unpacked Istio release"
  printf '%s\n' "https://raw.githubusercontent.com/istio/istio/$version/samples"
}
SAMPLES=$(istio_samples)

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# --- the cluster ---------------------------------------------------------------------------------
clusters=$(kind get clusters 2>/dev/null || true)
if [[ $'\n'$clusters$'\n' == *$'\n'$CLUSTER$'\n'* ]]; then
  say "kind cluster $CLUSTER exists: reusing it"
else
  say "creating kind cluster $CLUSTER (1 control plane, 2 workers)"
  kind create cluster --config "$HERE/kind-config.yaml" --wait 120s
fi

# --- Istio and Prometheus ------------------------------------------------------------------------
say "installing Istio (demo profile)"
istioctl install --set profile=demo -y --context "$CONTEXT"
# kind has no load balancer: pin the gateway's HTTP NodePort to the one kind-config.yaml maps.
k -n istio-system patch service istio-ingressgateway \
  -p '{"spec": {"type": "NodePort", "ports": [{"port": 80, "nodePort": 30080}]}}'

say "installing Prometheus (Istio's addon) from $SAMPLES"
k apply -f "$SAMPLES/addons/prometheus.yaml"
k -n istio-system rollout status deployment/prometheus --timeout=5m

# --- Bookinfo, with traffic shifting and a fault to look at --------------------------------------
say "installing Bookinfo in namespace bookinfo"
k create namespace bookinfo --dry-run=client -o yaml | k apply -f -
k label namespace bookinfo istio-injection=enabled --overwrite
k -n bookinfo apply -f "$SAMPLES/bookinfo/platform/kube/bookinfo.yaml"
k -n bookinfo apply -f "$SAMPLES/bookinfo/networking/bookinfo-gateway.yaml"
k -n bookinfo apply -f "$SAMPLES/bookinfo/networking/destination-rule-all.yaml"
k -n bookinfo apply -f "$SAMPLES/bookinfo/networking/virtual-service-reviews-80-20.yaml"
k -n bookinfo apply -f "$SAMPLES/bookinfo/networking/virtual-service-ratings-test-abort.yaml"
k -n bookinfo wait --for=condition=Available deployment --all --timeout=10m

# --- meshlens, built from this checkout ----------------------------------------------------------
say "building $IMAGE from $REPO with $ENGINE"
context=$WORK/context
mkdir -p "$context"
cp -R "$REPO/pyproject.toml" "$REPO/README.md" "$REPO/collectors" "$REPO/dashboard" \
  "$REPO/assets" "$context/"
cat >"$context/Dockerfile" <<'EOF'
FROM python:3.11-slim
COPY . /src
RUN pip install --no-cache-dir --root-user-action=ignore /src && rm -rf /src
USER 65532:65532
ENTRYPOINT ["meshlens"]
CMD ["serve", "--host", "0.0.0.0"]
EOF
if [[ $ENGINE == docker ]]; then
  docker build -t "$IMAGE" "$context"
  kind load docker-image "$IMAGE" --name "$CLUSTER"
else
  # podman names a short tag localhost/...; the cluster resolves the Deployment's
  # meshlens:0.1.0 to docker.io/library/meshlens:0.1.0, so build under that name.
  # kind load docker-image runs `docker save`, so go through an archive instead.
  podman build -t "docker.io/library/$IMAGE" "$context"
  podman save -o "$WORK/meshlens.tar" "docker.io/library/$IMAGE"
  kind load image-archive "$WORK/meshlens.tar" --name "$CLUSTER"
fi

say "deploying meshlens (deploy/meshlens.yaml)"
k apply -f "$REPO/deploy/meshlens.yaml"
k -n meshlens patch service meshlens \
  -p '{"spec": {"type": "NodePort", "ports": [{"port": 80, "nodePort": 30851}]}}'
# The tag stays 0.1.0 across rebuilds: restart so a second run serves the new image.
k -n meshlens rollout restart deployment/meshlens
k -n meshlens rollout status deployment/meshlens --timeout=5m

cat <<EOF

meshlens is up, reading Prometheus at $PROMETHEUS_URL and the cluster through its
read-only service account (kubectl context $CONTEXT).

Open meshlens:   http://127.0.0.1:8051/
  or:            kubectl --context $CONTEXT -n meshlens port-forward service/meshlens 8050:80
                 and open http://127.0.0.1:8050/
Bookinfo:        http://127.0.0.1:8080/productpage

Generate traffic (meshlens shows rates from the next collection, every 30 s):
  for i in \$(seq 300); do curl -s -o /dev/null http://127.0.0.1:8080/productpage; sleep 0.2; done
As jason (the fault sample aborts his calls from reviews v2 to ratings with HTTP 500):
  curl -s -o /dev/null -c /tmp/jason.cookies -e http://127.0.0.1:8080/productpage \\
      -d username=jason http://127.0.0.1:8080/login
  for i in \$(seq 100); do curl -s -o /dev/null -b /tmp/jason.cookies http://127.0.0.1:8080/productpage; done

Delete everything: bash deploy/kind/down.sh
EOF
