"""Hand-built lineage graphs for the lineage analysis and figure tests.

:class:`Lab` grows a snapshot node by node with ids made the way the collectors make them;
:func:`served_chain` and :func:`failed_runs_lab` are the two scenarios the tests read.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from collectors.ids import node_id
from collectors.kinds import EdgeKind, NodeKind
from collectors.model import Edge, Node, Scalar, Snapshot, SnapshotMeta

END = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


class Lab:
    """A snapshot grown node by node, ids made the way the collectors make them."""

    def __init__(self) -> None:
        meta = SnapshotMeta(END - timedelta(hours=6), END, 60, 600, END, "lineage test")
        self.snapshot = Snapshot(meta)

    def node(self, kind: NodeKind, name: str, namespace: str = "ml", **attrs: Scalar) -> str:
        identifier = node_id(kind, name, namespace)
        self.snapshot.add_node(Node(identifier, kind, name, namespace, attrs=dict(attrs)))
        return identifier

    def artifact(self, uri: str) -> str:
        return self.node(NodeKind.ARTIFACT, uri, "", uri=uri, scheme=uri.split("://")[0])

    def edge(self, source: str, target: str, kind: EdgeKind, name: str = "") -> None:
        attrs: dict[str, Scalar] = {"name": name} if name else {}
        self.snapshot.add_edge(Edge(source, target, kind, attrs=attrs))

    def step(self, run: str, name: str, phase: str = "Succeeded", **attrs: Scalar) -> str:
        step = self.node(NodeKind.PIPELINE_STEP, name, phase=phase, **attrs)
        self.edge(run, step, EdgeKind.OWNS)
        return step


def at(hour: int, minute: int = 0) -> str:
    return f"2026-11-24T{hour:02d}:{minute:02d}:00Z"


def served_chain() -> tuple[Lab, dict[str, str]]:
    """clicks -> ingest -> events -> train -> model -> isvc -> predictor <- frontend."""
    lab = Lab()
    run = lab.node(NodeKind.PIPELINE_RUN, "train-abc", phase="Succeeded", started=at(8),
                   finished=at(9), run_name="nightly", steps=2)  # fmt: skip
    ids = {
        "clicks": lab.artifact("s3://lake/clicks"),
        "events": lab.artifact("s3://ml/train-abc/ingest/events"),
        "model": lab.artifact("s3://ml/train-abc/train/model"),
        "metrics": lab.artifact("s3://ml/train-abc/train/mlpipeline-metrics"),
        "ingest": lab.step(run, "train-abc-1", display_name="ingest"),
        "train": lab.step(run, "train-abc-2", display_name="train"),
        "isvc": lab.node(NodeKind.INFERENCE_SERVICE, "reco", ready=True, model_state="Loaded"),
        "predictor": lab.node(NodeKind.WORKLOAD, "reco-predictor"),
        "frontend": lab.node(NodeKind.WORKLOAD, "frontend", "shop"),
        "run": run,
    }
    lab.edge(ids["clicks"], ids["ingest"], EdgeKind.CONSUMES, "raw")
    lab.edge(ids["ingest"], ids["events"], EdgeKind.PRODUCES, "events")
    lab.edge(ids["events"], ids["train"], EdgeKind.CONSUMES, "events")
    lab.edge(ids["train"], ids["model"], EdgeKind.PRODUCES, "model")
    lab.edge(ids["train"], ids["metrics"], EdgeKind.PRODUCES, "mlpipeline-metrics")
    lab.edge(ids["ingest"], ids["train"], EdgeKind.PRECEDES)
    lab.edge(ids["model"], ids["isvc"], EdgeKind.SERVES)
    lab.edge(ids["isvc"], ids["predictor"], EdgeKind.SERVES)
    lab.edge(ids["frontend"], ids["predictor"], EdgeKind.CALLS)
    return lab, ids


def failed_runs_lab() -> tuple[Lab, dict[str, str]]:
    lab = Lab()
    retried = lab.node(NodeKind.PIPELINE_RUN, "fit-retried", phase="Failed", started=at(7),
                       finished=at(7, 40), message="child 'fit' failed", run_name="fit",
                       steps=3)  # fmt: skip
    prep = lab.step(retried, "fit-retried-1", started=at(7), finished=at(7, 10), task="prep")
    first = lab.step(retried, "fit-retried-2", "Failed", started=at(7, 10),
                     finished=at(7, 20), task="fit", message="CUDA out of memory",
                     exit_code="1")  # fmt: skip
    second = lab.step(retried, "fit-retried-3", "Failed", started=at(7, 20),
                      finished=at(7, 40), task="fit", message="OOMKilled")  # fmt: skip
    lab.edge(prep, first, EdgeKind.PRECEDES)
    lab.edge(prep, second, EdgeKind.PRECEDES)
    recovered = lab.node(NodeKind.PIPELINE_RUN, "fit-recovered", phase="Succeeded",
                         started=at(9), finished=at(9, 30), steps=2)  # fmt: skip
    lab.step(recovered, "fit-recovered-1", "Failed", task="fit", started=at(9))
    lab.step(recovered, "fit-recovered-2", task="fit", started=at(9, 5))
    running = lab.node(NodeKind.PIPELINE_RUN, "fit-now", phase="Running", started=at(11))
    pod = lab.node(NodeKind.POD, "fit-now-fit-1", phase="Running", node="gpu-1", gpu_requested=1)
    gpu = lab.node(NodeKind.GPU, "gpu-1/0", "")
    lab.edge(pod, gpu, EdgeKind.USES_GPU)
    now_step = lab.step(running, "fit-now-1", "Running", task="fit", started=at(11, 30))
    lab.edge(now_step, pod, EdgeKind.OWNS)
    offloaded = lab.node(NodeKind.PIPELINE_RUN, "big", phase="Running", started=at(10),
                         nodes_status="offloaded")  # fmt: skip
    never = lab.node(NodeKind.PIPELINE_RUN, "queued", nodes_status="none")
    return lab, {"retried": retried, "first": first, "second": second, "prep": prep,
                 "running": running, "offloaded": offloaded, "never": never, "pod": pod,
                 "gpu": gpu, "recovered": recovered, "now_step": now_step}  # fmt: skip
