"""Settings of the transcription workers (environment: YHT_ASR_*)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class AsrSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="YHT_ASR_")

    # a Vosk model directory (am/, conf/, graph/ ...). A Mandarin center
    # installs vosk-model-small-cn-0.22 or vosk-model-cn-0.22 there (README)
    model_dir: str = ""
    # where Asterisk writes the recordings (read only here)
    recordings_dir: str = ""
    # the jobs: the project's durable Redis (the ACD's outbox), same prefix
    redis_url: str = Field(default="redis://127.0.0.1:6380/0",
                           validation_alias="YHT_ACD_OUTBOX_REDIS_URL")  # fmt: skip
    redis_prefix: str = Field(default="yht:acd", validation_alias="YHT_ACD_REDIS_PREFIX")
    redis_timeout_s: float = 5.0
    # the work-order service, where transcripts go (role asr)
    ticketing_url: str = "http://127.0.0.1:8080"
    api_token: str = Field(default="", validation_alias="YHT_ASR_SERVICE_TOKEN")
    http_timeout_s: float = 10.0
    # a job another worker took and has not finished in this time is taken
    # over (the other worker died); longer than the longest decode
    stale_s: float = 600.0
    # this worker's name in the consumer group (default host-pid)
    worker_name: str = ""
    # /metrics on 127.0.0.1 at this port (0: none; `make run` gives one)
    metrics_port: int = 0
    # the worker's CPU niceness (0-19): transcription is a batch job that may
    # lag, the calls may not; on a shared machine the call path goes first
    nice: int = Field(default=10, ge=0, le=19)
    # and, where the system has it (Linux), the idle scheduling class: the
    # worker only gets CPU time nothing else wants (the fourteenth day: at
    # niceness 10 the worker still took 0.6-0.8 of a core of two while the
    # seats' phones answered Asterisk 1.4 s late and calls went unanswered)
    idle: bool = True
