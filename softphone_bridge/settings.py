"""Settings of the websockets bridge (environment: YHT_BRIDGE_*)."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from websockets.typing import Origin


class BridgeSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="YHT_BRIDGE_")

    host: str = "127.0.0.1"
    port: int = 8092
    redis_url: str = "redis://127.0.0.1:6379/0"
    # the ACD's Redis prefix (its events channel is <prefix>:events)
    acd_prefix: str = "yht:acd"
    acd_url: str = "http://127.0.0.1:8091"
    # the bridge's own key to the ACD's control API (nobody else holds it)
    acd_token: str = Field(default="", validation_alias="YHT_ACD_CONTROL_TOKEN")
    ticketing_url: str = "http://127.0.0.1:8080"
    # a browser must authenticate within this time after connecting
    auth_timeout_s: float = 5.0
    # previous work orders shown in a screen-pop
    history_size: int = 5
    http_timeout_s: float = 2.0
    # a seat command the ACD carries out (log in, pause, hang up...): it waits
    # for Asterisk's answers, which lag on a loaded machine (a desk told
    # "排队控制服务不可用" after 2 s in a full test run while the ACD worked)
    command_timeout_s: float = 6.0
    # pages allowed to open the websocket (Origin), comma-separated; empty:
    # the bridge's own pages (http://127.0.0.1:<port>, http://localhost:<port>).
    # Clients that send no Origin (not browsers) are let in on their token.
    origins: str = ""
    # how often every open page's token is checked again (besides every command)
    recheck_interval_s: float = 60.0
    # per page: messages waiting to be sent, and how long one send may take,
    # before the page is closed as too slow (4408)
    client_queue_size: int = 512
    client_send_timeout_s: float = 5.0
    # an SOS profile lookup that failed is tried this many more times
    profile_retries: int = 3

    def allowed_origins(self) -> list[Origin | None]:
        listed = [o.strip() for o in self.origins.split(",") if o.strip()]
        own = [f"http://127.0.0.1:{self.port}", f"http://localhost:{self.port}"]
        return [*(Origin(o) for o in listed or own), None]
