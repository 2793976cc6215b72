"""Settings of the FastAGI server (environment: YHT_AGI_*)."""

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from ivr.menu import MENU_FILE, PROMPTS_FILE


class AgiSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="YHT_AGI_")

    host: str = "127.0.0.1"
    port: int = 4573
    redis_url: str = "redis://127.0.0.1:6379/0"
    # key for pseudonymising caller numbers in Redis (YHT_CALLER_HASH_KEY)
    caller_hash_key: str = Field(validation_alias="YHT_CALLER_HASH_KEY")
    menu_file: Path = MENU_FILE
    prompts_file: Path = PROMPTS_FILE
    # a call's whole stay in the front end; past it the dialplan's default route
    call_deadline_s: float = 90.0
    # Asterisk sends the AGI environment at once; a silent peer is dropped
    header_timeout_s: float = 5.0
    redis_timeout_s: float = 0.5
    # the work-order service, for key 1 (work-order progress)
    ticketing_url: str = "http://127.0.0.1:8080"
    # bearer token of the IVR's progress lookups (YHT_IVR_API_TOKEN)
    ivr_api_token: str = Field(default="", validation_alias="YHT_IVR_API_TOKEN")
    # past it the caller hears "lookup unavailable" and goes to an agent
    ticketing_timeout_s: float = 1.5
    # /metrics on 127.0.0.1 at this port (0: none; `make run` gives one)
    metrics_port: int = 0
