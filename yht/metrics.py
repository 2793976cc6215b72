"""`/metrics` for every service (Prometheus text format, prometheus-client).

Each service reads its figures when scraped (`Figures`: a callable giving
name -> (kind, help, samples)), so nothing is counted twice and a restarted
service starts its counters again (Prometheus takes counter resets in its
stride). Long-lived tasks' restarts (yht.supervise) are reported by every
service the same way."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector, CollectorRegistry

from yht.supervise import Supervisor

# (labels, value) pairs of one metric
Samples = Iterable[tuple[dict[str, str], float]]
# name -> (counter | gauge, help, samples)
Figures = Callable[[], dict[str, tuple[str, str, Samples]]]


class FiguresCollector(Collector):
    def __init__(self, figures: Figures) -> None:
        self.figures = figures

    def collect(self):  # type: ignore[no-untyped-def]
        for name, (kind, text, samples) in self.figures().items():
            rows = list(samples)
            labels = sorted({k for labels, _ in rows for k in labels})
            family = (CounterMetricFamily if kind == "counter" else GaugeMetricFamily)(
                name, text, labels=labels)  # fmt: skip
            for values, value in rows:
                family.add_metric([values.get(k, "") for k in labels], value)
            yield family


def exposition(figures: Figures) -> tuple[bytes, str]:
    """The scrape's body and content type."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(FiguresCollector(figures))
    return generate_latest(registry), CONTENT_TYPE_LATEST


def supervised(service: str, supervisor: Supervisor) -> dict[str, tuple[str, str, Samples]]:
    """Every service's long-lived tasks: running, and restarts after an error."""
    states = supervisor.states.values()
    return {
        "yht_task_running": ("gauge", "1 when the supervised task runs",
                             [({"service": service, "task": s.name}, float(s.running))
                              for s in states]),
        "yht_task_restarts": ("counter", "restarts of a supervised task after it failed",
                              [({"service": service, "task": s.name}, float(s.restarts))
                               for s in states]),
    }  # fmt: skip


def serve_metrics(port: int, figures: Figures) -> None:
    """/metrics on 127.0.0.1:`port` in a thread of its own (prometheus-client's
    HTTP server), for a service that has no HTTP server of its own."""
    from prometheus_client import start_http_server

    registry = CollectorRegistry(auto_describe=False)
    registry.register(FiguresCollector(figures))
    start_http_server(port, addr="127.0.0.1", registry=registry)
