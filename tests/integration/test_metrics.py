"""/metrics on every service and on Asterisk itself (issue 13): each answers
in Prometheus's text format with its own figures."""

from __future__ import annotations

import httpx

from testkit.services import TEST_PORTS


def scrape(url: str) -> str:
    response = httpx.get(url, timeout=5)
    assert response.status_code == 200, url
    assert response.headers["content-type"].startswith("text/plain"), url
    return response.text


def test_every_service_and_asterisk_expose_metrics(pbx, agi_server, live_desk, ticketing_service):
    acd = scrape(f"{live_desk['acd_url']}/metrics")
    assert 'yht_task_running{service="acd",task="events"} 1.0' in acd
    assert "yht_queue_waiting{" in acd and "yht_delivery_backlog{" in acd
    assert "yht_acd_ami_up 1.0" in acd
    bridge = scrape(f"{live_desk['pages']}/metrics")
    assert 'yht_task_running{service="bridge",task="follow"} 1.0' in bridge
    captions = scrape(f"http://127.0.0.1:{TEST_PORTS['YHT_CAPTIONS_HTTP_PORT']}/metrics")
    assert "\nyht_captions_streams " in captions
    worker = scrape(f"http://127.0.0.1:{live_desk['worker'].env['YHT_ASR_METRICS_PORT']}/metrics")
    assert "yht_transcriptions_done_total" in worker
    orders = scrape(f"{ticketing_service.base}/metrics")
    assert "yht_orders{" in orders or "# TYPE yht_orders gauge" in orders
    assert "# TYPE yht_order_transitions_total counter" in orders
    # the FastAGI front end: the suite's calls went through it by now
    front = scrape(f"http://127.0.0.1:{agi_server.env['YHT_AGI_METRICS_PORT']}/metrics")
    assert "# TYPE yht_agi_calls_total counter" in front and "yht_agi_active_calls " in front
    asterisk = scrape(f"http://127.0.0.1:{pbx.settings.http_port}/metrics")
    assert "asterisk_core_uptime_seconds" in asterisk
