"""Settings of the work-order service (environment: YHT_TICKETING_*)."""

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = Path(__file__).resolve().parent / "data"
SHIFT_PLAN = ROOT / "yht" / "data" / "schedule.yaml"


class TicketingSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="YHT_TICKETING_")

    # SQLite file by default so `make run` needs nothing else; PostgreSQL in
    # production and in the tests: postgresql+psycopg://user@127.0.0.1/db
    database_url: str = f"sqlite:///{ROOT / '.local' / 'ticketing.db'}"
    # PostgreSQL in production: the owner role's URL, used only to migrate,
    # seed and grant; the service itself connects with database_url as a role
    # that can only append to the event and audit logs (see README, Privacy)
    owner_database_url: str = ""
    host: str = "127.0.0.1"
    port: int = 8080
    # working-day calendar, time limits, supervision ladder, related-request window
    policy_file: Path = DATA_DIR / "policy.yaml"
    # organisation tree and subject taxonomy loaded at start when the tables are empty
    org_file: Path = DATA_DIR / "organisation.yaml"
    subjects_file: Path = DATA_DIR / "subjects.yaml"
    token_ttl_hours: float = 12.0
    # the number a citizen sees when the center calls back about a work order
    # (a missed call is returned from the hotline it came in on)
    callback_caller_id: str = Field(default="12345", pattern=r"^[0-9]{3,12}$")
    # log-in throttling (limits' notation): attempts per client address, failed
    # attempts per account before it is locked for the rest of the window
    login_attempts_per_address: str = "120/minute"
    login_failures_per_account: str = "5/15 minutes"
    # argon2 checks running at once (64 MiB each) and how long a log-in may
    # wait for a turn before it is answered 429
    password_checks: int = 2
    password_wait_s: float = 2.0
    # the reverse proxies whose X-Forwarded-For is believed (comma separated
    # addresses; empty: none, the peer's address is the client's)
    trusted_proxies: str = ""
    # request bodies: JSON and attachments (bytes); PostgreSQL timeouts
    max_json_bytes: int = 1024 * 1024
    max_attachment_bytes: int = 5 * 1024 * 1024
    db_connect_timeout_s: int = 5
    db_statement_timeout_ms: int = 15000
    # origins of the agent desk and seat map pages (the websockets bridge), which
    # log in and create work orders from the browser (CORS), comma separated
    desk_origins: str = "http://127.0.0.1:8092,http://localhost:8092"
    # how often the deadline scanner looks for due and overdue work orders
    # (and for recordings past their retention)
    scan_interval_s: float = 60.0
    # Asterisk's spool/monitor of the instance (`make run` sets it): the
    # recordings, read only here; and how many days they are kept, per queue,
    # SOS recordings longest (ticketing/recordings/files.Retention)
    recordings_dir: str = ""
    recording_retention: str = "default=180,sos=3650"
    # free space below this on the recordings' disk: /health says degraded
    # and every scan logs an error (a full disk loses the next recordings)
    recordings_min_free_mb: int = 2048
    # the center's numbers (ticketing/reports): Asterisk's queue_log files
    # to ingest (comma separated; `make run` sets the instance's), how often,
    # and the rules the figures follow (README, Reports)
    queue_logs: str = ""
    # and its call detail records (cdr_csv's Master.csv; `make run` sets the instance's)
    cdr_files: str = ""
    ingest_interval_s: float = 2.0
    # the ingester's /metrics on 127.0.0.1 at this port (0: none; `make run` gives one)
    ingest_metrics_port: int = 0
    answer_target_s: float = 15.0
    short_abandon_s: float = 5.0
    wrapup_s: float = Field(default=10.0, validation_alias="YHT_ACD_WRAPUP_SECONDS")
    report_timezone: str = "Asia/Shanghai"
    # 响应率: a dispatched order counts as answered when its unit accepts it
    # (签收) within this many hours
    response_limit_h: float = 24.0
    # staffing: the share of calls to answer within answer_target_s, and the
    # shift plan the seats needed are held against (shared with the ACD)
    service_level_goal: float = 0.8
    shift_plan_file: Path = (
        Path(__file__).resolve().parent.parent / "yht" / "data" / "schedule.yaml"
    )
    # first administrator's password (YHT_TICKETING_ADMIN_PASSWORD, generated locally)
    admin_password: str = Field(default="", validation_alias="YHT_TICKETING_ADMIN_PASSWORD")
    # the voice front end's bearer token for progress lookups (YHT_IVR_API_TOKEN)
    ivr_api_token: str = Field(default="", validation_alias="YHT_IVR_API_TOKEN")
    # the ACD controller's own bearer token (role acd), YHT_ACD_SERVICE_TOKEN
    acd_api_token: str = Field(default="", validation_alias="YHT_ACD_SERVICE_TOKEN")
    # the transcription workers' own bearer token (role asr), YHT_ASR_SERVICE_TOKEN
    asr_api_token: str = Field(default="", validation_alias="YHT_ASR_SERVICE_TOKEN")
    # key for pseudonymising phone numbers in logs and lookups (YHT_CALLER_HASH_KEY)
    caller_hash_key: str = Field(default="", validation_alias="YHT_CALLER_HASH_KEY")
