"""deploy/kind: the cluster config, and up.sh/down.sh driven against stub tools.

No container engine runs here, so the scripts meet stand-ins for docker, podman, kind, kubectl
and istioctl that record every call; PATH holds only those, bash and a few coreutils, so a real
kubectl or kind on the machine is never reached.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests_paths import REPO

KIND = REPO / "deploy" / "kind"
UP, DOWN = KIND / "up.sh", KIND / "down.sh"
COREUTILS = ("basename", "cat", "cp", "dirname", "ls", "mkdir", "mktemp", "realpath", "rm")

# Records each call as a tab-separated line; answers the few questions up.sh asks.
STUB = r"""#!{bash}
name=$(basename "$0")
{{ printf '%s' "$name"; printf '\t%s' "$@"; printf '\n'; }} >>"$STUB_DIR/calls.tsv"
if [ "$name" = kind ]; then
  printf 'kind-provider\t%s\n' "${{KIND_EXPERIMENTAL_PROVIDER:-}}" >>"$STUB_DIR/calls.tsv"
fi
case "$name $1" in
  "docker info" | "podman info") rc="STUB_INFO_RC_$name"; exit "${{!rc:-0}}" ;;
  "docker build" | "podman build") cp -R "${{@: -1}}" "$STUB_DIR/context" ;;
  "kind get") printf '%s' "${{STUB_CLUSTERS:-}}" ;;
  "istioctl version") printf '%s\n' "${{STUB_ISTIO_VERSION:-client version: 1.24.3}}" ;;
esac
"""


def _base_path(tmp: Path) -> Path:
    """A directory holding bash and the coreutils the scripts use, and nothing else."""
    base = tmp / "base"
    base.mkdir()
    for tool in ("bash", *COREUTILS):
        found = shutil.which(tool)
        if found is not None:
            (base / tool).symlink_to(found)
    return base


@dataclass
class Rig:
    """Stub tools in a temp dir, and a way to run a script with them."""

    tmp: Path
    stubs: Path
    base: Path

    def stub(self, *names: str, where: Path | None = None) -> None:
        folder = where or self.stubs
        folder.mkdir(parents=True, exist_ok=True)
        for name in names:
            path = folder / name
            path.write_text(STUB.format(bash=self.base / "bash"))
            path.chmod(0o755)

    def run(self, script: Path, *extra_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
        path = os.pathsep.join(str(p) for p in (self.stubs, *extra_path, self.base))
        return subprocess.run(
            [str(self.base / "bash"), str(script)],
            env={"PATH": path, "STUB_DIR": str(self.tmp), "HOME": str(self.tmp), **env},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
        )

    def calls(self, tool: str | None = None) -> list[list[str]]:
        log = self.tmp / "calls.tsv"
        rows = [line.split("\t") for line in log.read_text().splitlines()] if log.exists() else []
        return [row for row in rows if tool is None or row[0] == tool]


@pytest.fixture
def rig(tmp_path: Path) -> Rig:
    return Rig(tmp_path, tmp_path / "stubs", _base_path(tmp_path))


def _release(root: Path) -> Path:
    """A stand-in for an unpacked Istio release: its samples/ with the files up.sh applies."""
    for sample in ("addons/prometheus.yaml", "bookinfo/platform/kube/bookinfo.yaml"):
        (root / "samples" / sample).parent.mkdir(parents=True, exist_ok=True)
        (root / "samples" / sample).write_text("")
    return root


def _applied(calls: list[list[str]]) -> list[str]:
    return [row[row.index("-f") + 1] for row in calls if "apply" in row]


def _index(calls: list[list[str]], *words: str) -> int:
    return next(i for i, row in enumerate(calls) if all(w in row for w in words))


@pytest.mark.parametrize("script", [UP, DOWN], ids=lambda p: p.name)
def test_scripts_parse(script: Path) -> None:
    result = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_scripts_pass_shellcheck() -> None:
    if shutil.which("shellcheck") is None:
        pytest.skip("shellcheck is not installed")
    result = subprocess.run(["shellcheck", str(UP), str(DOWN)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def test_kind_config_maps_the_node_ports_up_sh_pins(rig: Rig) -> None:
    config = yaml.safe_load((KIND / "kind-config.yaml").read_text())
    assert (config["kind"], config["apiVersion"]) == ("Cluster", "kind.x-k8s.io/v1alpha4")
    assert config["name"] == "meshlens"
    assert [n["role"] for n in config["nodes"]] == ["control-plane", "worker", "worker"]
    mapped = {m["containerPort"]: m["hostPort"] for m in config["nodes"][0]["extraPortMappings"]}
    assert mapped == {30080: 8080, 30851: 8051}

    rig.stub("docker", "kind", "kubectl", "istioctl")
    assert rig.run(UP).returncode == 0
    patches = [yaml.safe_load(row[-1]) for row in rig.calls("kubectl") if "patch" in row]
    pinned = {p["spec"]["ports"][0]["nodePort"] for p in patches}
    assert pinned == set(mapped)


def test_up_names_every_missing_tool_and_starts_nothing(rig: Rig) -> None:
    result = rig.run(UP)
    assert result.returncode != 0
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 4
    assert "no container engine (docker or podman)" in lines[0]
    for line, tool in zip(lines[1:], ("kind", "kubectl", "istioctl"), strict=True):
        assert line.startswith(f"up.sh: {tool} not found: install it from https://")


def test_up_says_when_docker_does_not_answer(rig: Rig) -> None:
    rig.stub("docker", "kind", "kubectl", "istioctl")
    result = rig.run(UP, STUB_INFO_RC_docker="1")
    assert result.returncode != 0
    assert result.stderr.splitlines() == [
        'up.sh: docker is installed but "docker info" fails: start its daemon (or service)'
    ]
    assert rig.calls("kind") == []


def test_up_installs_istio_prometheus_bookinfo_then_meshlens(rig: Rig) -> None:
    rig.stub("docker", "kind", "kubectl", "istioctl")
    release = _release(rig.tmp / "istio-1.24.3")
    result = rig.run(UP, ISTIO_HOME=str(release))
    assert result.returncode == 0, result.stderr
    calls = rig.calls()

    assert ["kind", "create", "cluster", "--config", str(KIND / "kind-config.yaml")] == (
        rig.calls("kind")[1][:5]
    )
    assert ["istioctl", "install", "--set", "profile=demo", "-y"] in [r[:5] for r in calls]
    assert all(row[1:3] == ["--context", "kind-meshlens"] for row in rig.calls("kubectl"))
    samples = release / "samples"
    assert _applied(calls) == [
        str(samples / "addons/prometheus.yaml"),
        "-",  # the bookinfo namespace, created when missing
        str(samples / "bookinfo/platform/kube/bookinfo.yaml"),
        str(samples / "bookinfo/networking/bookinfo-gateway.yaml"),
        str(samples / "bookinfo/networking/destination-rule-all.yaml"),
        str(samples / "bookinfo/networking/virtual-service-reviews-80-20.yaml"),
        str(samples / "bookinfo/networking/virtual-service-ratings-test-abort.yaml"),
        str(REPO / "deploy" / "meshlens.yaml"),
    ]
    label = _index(calls, "label", "namespace", "bookinfo", "istio-injection=enabled")
    assert label < _index(calls, "-n", "bookinfo", "apply")
    assert _index(calls, "kind", "load") < _index(calls, str(REPO / "deploy" / "meshlens.yaml"))
    assert "http://127.0.0.1:8051/" in result.stdout
    assert "port-forward service/meshlens" in result.stdout


def test_up_builds_the_image_the_deployment_runs(rig: Rig) -> None:
    rig.stub("docker", "kind", "kubectl", "istioctl")
    assert rig.run(UP).returncode == 0
    docs = yaml.safe_load_all((REPO / "deploy" / "meshlens.yaml").read_text())
    (deployment,) = [d for d in docs if d["kind"] == "Deployment"]
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert ["build", "-t", container["image"]] in [row[1:4] for row in rig.calls("docker")]
    loads = [row[1:4] for row in rig.calls("kind") if "load" in row]
    assert loads == [["load", "docker-image", container["image"]]]
    # The Deployment gives only args, so the image's entrypoint must be meshlens itself.
    assert "command" not in container
    assert 'ENTRYPOINT ["meshlens"]' in (rig.tmp / "context" / "Dockerfile").read_text()


def test_image_context_builds_a_complete_wheel(rig: Rig, tmp_path: Path) -> None:
    rig.stub("docker", "kind", "kubectl", "istioctl")
    assert rig.run(UP).returncode == 0
    out = tmp_path / "wheel"
    build = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"]
    subprocess.run([*build, "-w", str(out), str(tmp_path / "context")], check=True)
    (wheel,) = out.glob("meshlens-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    packages = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    sources = {
        path.relative_to(REPO).as_posix()
        for package in packages["packages"]
        if package not in packages["package-dir"]
        for path in REPO.joinpath(*package.split(".")).glob("*.py")
    }
    assert len(sources) > 50 and sources <= names
    assert "dashboard/assets/meshlens.css" in names


def test_up_reuses_an_existing_cluster(rig: Rig) -> None:
    rig.stub("docker", "kind", "kubectl", "istioctl")
    result = rig.run(UP, STUB_CLUSTERS="other\nmeshlens\n")
    assert result.returncode == 0, result.stderr
    assert [row for row in rig.calls("kind") if "create" in row] == []
    assert "kind cluster meshlens exists: reusing it" in result.stdout


@pytest.mark.parametrize("docker_installed", [True, False], ids=["docker-down", "no-docker"])
def test_up_falls_back_to_podman(rig: Rig, docker_installed: bool) -> None:
    rig.stub("podman", "kind", "kubectl", "istioctl")
    if docker_installed:
        rig.stub("docker")
    result = rig.run(UP, STUB_INFO_RC_docker="1")
    assert result.returncode == 0, result.stderr
    # containerd resolves the Deployment's meshlens:0.1.0 to this name; podman's default
    # would be localhost/meshlens:0.1.0, which the kubelet would then try to pull.
    tag = "docker.io/library/meshlens:0.1.0"
    podman = [row[1:] for row in rig.calls("podman")]
    assert podman[1][:3] == ["build", "-t", tag]
    assert podman[2][:2] == ["save", "-o"] and podman[2][3] == tag
    assert {row[1] for row in rig.calls("kind-provider")} == {"podman"}
    assert ["load", "image-archive"] in [row[1:3] for row in rig.calls("kind")]
    assert [row for row in rig.calls("docker") if row[1] != "info"] == []


@pytest.mark.parametrize(
    "version_output", ["client version: 1.24.3", "1.24.3\n"], ids=["current", "older"]
)
def test_up_fetches_samples_of_istioctls_version(rig: Rig, version_output: str) -> None:
    rig.stub("docker", "kind", "kubectl", "istioctl")
    result = rig.run(UP, STUB_ISTIO_VERSION=version_output)
    assert result.returncode == 0, result.stderr
    assert _applied(rig.calls())[0] == (
        "https://raw.githubusercontent.com/istio/istio/1.24.3/samples/addons/prometheus.yaml"
    )


def test_up_finds_the_release_istioctl_was_unpacked_with(rig: Rig) -> None:
    rig.stub("docker", "kind", "kubectl")
    release = _release(rig.tmp / "istio-1.23.0")
    rig.stub("istioctl", where=release / "bin")
    result = rig.run(UP, release / "bin")
    assert result.returncode == 0, result.stderr
    assert _applied(rig.calls())[0] == str(release / "samples" / "addons" / "prometheus.yaml")


def test_up_refuses_an_istio_home_without_samples(rig: Rig) -> None:
    rig.stub("docker", "kind", "kubectl", "istioctl")
    result = rig.run(UP, ISTIO_HOME=str(rig.tmp))
    assert result.returncode != 0
    assert f"ISTIO_HOME={rig.tmp} has no samples/addons/prometheus.yaml" in result.stderr
    assert [row for row in rig.calls("kind") if "create" in row] == []


@pytest.mark.parametrize("engine", ["docker", "podman"])
def test_down_deletes_the_cluster(rig: Rig, engine: str) -> None:
    rig.stub(engine, "kind")
    result = rig.run(DOWN)
    assert result.returncode == 0, result.stderr
    assert rig.calls("kind") == [["kind", "delete", "cluster", "--name", "meshlens"]]
    expected_provider = "podman" if engine == "podman" else ""
    assert rig.calls("kind-provider") == [["kind-provider", expected_provider]]


def test_down_without_kind_says_so(rig: Rig) -> None:
    result = rig.run(DOWN)
    assert result.returncode != 0
    assert result.stderr.startswith("down.sh: kind not found: install it from https://")


def test_cluster_role_reads_every_kind_meshlens_collects() -> None:
    docs = yaml.safe_load_all((REPO / "deploy" / "meshlens.yaml").read_text())
    (role,) = [d for d in docs if d["kind"] == "ClusterRole"]
    granted = {
        (group, resource)
        for rule in role["rules"]
        for group in rule["apiGroups"]
        for resource in rule["resources"]
    }
    expected = {
        "": ["namespaces", "nodes", "pods", "services", "events"],
        "apps": ["deployments", "replicasets", "statefulsets", "daemonsets"],
        "batch": ["jobs", "cronjobs"],
        "discovery.k8s.io": ["endpointslices"],
        "autoscaling": ["horizontalpodautoscalers"],
        "networking.istio.io": [
            "virtualservices",
            "destinationrules",
            "gateways",
            "serviceentries",
            "sidecars",
        ],
        "security.istio.io": ["peerauthentications", "authorizationpolicies"],
        "argoproj.io": ["workflows"],
        "serving.kserve.io": ["inferenceservices"],
    }
    assert granted == {(g, r) for g, resources in expected.items() for r in resources}


def test_deployment_reads_the_cluster_and_istios_prometheus() -> None:
    docs = yaml.safe_load_all((REPO / "deploy" / "meshlens.yaml").read_text())
    (deployment,) = [d for d in docs if d["kind"] == "Deployment"]
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    args = container["args"]
    assert args[0] == "serve" and "--in-cluster" in args
    # Istio's samples/addons/prometheus.yaml: Service prometheus, namespace istio-system, 9090.
    assert args[args.index("--prometheus") + 1] == "http://prometheus.istio-system:9090"
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["MESHLENS_HOST"] == "0.0.0.0"
