"""Settings of the ACD controller (environment: YHT_ACD_*)."""

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DATA_DIR = Path(__file__).resolve().parent / "data"
SHIFT_PLAN = Path(__file__).resolve().parent.parent / "yht" / "data" / "schedule.yaml"


class AcdSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="YHT_ACD_")

    ami_host: str = "127.0.0.1"
    ami_port: int = Field(default=5038, validation_alias="YHT_PBX_AMI_PORT")
    ami_user: str = Field(default="yht-acd", validation_alias="YHT_PBX_AMI_USER")
    ami_secret: str = Field(default="", validation_alias="YHT_AMI_SECRET")
    # live state (seats, queues, events): volatile, rebuilt from Asterisk
    redis_url: str = "redis://127.0.0.1:6379/0"
    # the durable outbox (missed calls, SOS steps, call actions): the
    # project's own Redis with an append-only file (`make redis`)
    outbox_redis_url: str = "redis://127.0.0.1:6380/0"
    redis_timeout_s: float = 2.0
    # AMI events waiting to be handled; past it events are dropped and the
    # picture is rebuilt from QueueStatus
    event_queue_size: int = 10_000
    # every request to the work-order service
    http_timeout_s: float = 5.0
    # which queues each seat may serve, with penalties (skills)
    skills_file: Path = DATA_DIR / "skills.yaml"
    # open seats planned per shift
    schedule_file: Path = SHIFT_PLAN
    # how often the staffing figure (open vs planned seats) is published
    staffing_interval_s: float = 30.0
    # seconds of after-call work before a seat is offered calls again
    wrapup_seconds: float = 10.0
    # AMI reconnect back-off
    reconnect_s: float = 1.0
    # Redis key prefix, so several deployments (or tests) can share one server
    redis_prefix: str = "yht:acd"
    http_host: str = "127.0.0.1"
    http_port: int = 8091
    # the work-order service, which takes the missed calls and SOS steps
    ticketing_url: str = "http://127.0.0.1:8080"
    # the ACD's own credential there (role acd: missed calls, SOS steps, device
    # numbers, contacts, call-action audit; nothing else)
    ticketing_token: str = Field(default="", validation_alias="YHT_ACD_SERVICE_TOKEN")
    # how long one Originate into a conference may take, redials included
    originate_timeout_s: float = 180.0
    # the deployment's partner numbers the desk may dial besides the national
    # patterns (yht.dialling), shared with the dialplan
    partner_numbers: str = Field(default="", validation_alias="YHT_PBX_PARTNER_NUMBERS")
    # the emergency center an unanswered SOS call dials (the dialplan's too):
    # the elder's contacts are rung once it is on the line
    sos_center: str = Field(default="120", validation_alias="YHT_PBX_SOS_CENTER")
    # how often the SOS caller ids are copied from the elder registry to AstDB
    sos_sync_interval_s: float = 10.0
    # bearer token of the control API's clients (the websockets bridge)
    api_token: str = Field(default="", validation_alias="YHT_ACD_CONTROL_TOKEN")
