"""Settings of the live-caption service (environment: YHT_CAPTIONS_*)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class CaptionSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="YHT_CAPTIONS_", populate_by_name=True)

    # the same Vosk model directory as the transcription workers
    model_dir: str = Field(default="", validation_alias="YHT_ASR_MODEL_DIR")
    # the AudioSocket server Asterisk connects to (the Local channels' data)
    host: str = "127.0.0.1"
    port: int = 8095
    # /health
    http_port: int = 8096
    # AMI: its own user, reads AgentConnect, may only originate
    ami_host: str = "127.0.0.1"
    ami_port: int = Field(default=5038, validation_alias="YHT_PBX_AMI_PORT")
    ami_user: str = Field(default="yht-captions", validation_alias="YHT_PBX_AMI_CAPTIONS_USER")
    ami_secret: str = Field(default="", validation_alias="YHT_AMI_CAPTIONS_SECRET")
    reconnect_s: float = 1.0
    # where captions go: the live Redis the bridge follows (<prefix>:captions)
    redis_url: str = Field(default="redis://127.0.0.1:6379/0", validation_alias="YHT_ACD_REDIS_URL")
    redis_prefix: str = Field(default="yht:acd", validation_alias="YHT_ACD_REDIS_PREFIX")
    redis_timeout_s: float = 2.0
    # legs decoded at once (two per call); past it a call gets no captions
    # and its desk is told so. One leg costs about half a core (docs/benchmarks.md)
    max_streams: int = 4
    # audio handed to the recognizer at a time (one AudioSocket frame is 20 ms):
    # shorter is sooner; at 20 ms a leg costs about 0.4 s of CPU per second
    chunk_ms: int = 20
    # audio waiting for a busy recognizer, per leg; older audio is skipped
    max_lag_s: float = 5.0
    # queues whose calls get captions (the SOS line does not: its seats talk
    # to the elder and 120, and its recording is kept whole)
    queues: str = "hotline,dialect"
    # a spy that Asterisk has not connected within this time is given up
    connect_timeout_s: float = 10.0
    # a stream with no audio at all for this long is closed (a phone sends
    # audio all the time, even in silence: nothing means nothing to spy on)
    idle_s: float = 60.0

    def captioned(self, queue: str) -> bool:
        return queue in {q.strip() for q in self.queues.split(",") if q.strip()}
