"""`python -m ticketing`: migrate, seed, serve the API on loopback."""

from __future__ import annotations

import uvicorn
from sqlalchemy.engine import make_url

from ticketing.app import create_app
from ticketing.bootstrap import grant_service_role, migrate, seed
from ticketing.database import make_engine
from ticketing.settings import TicketingSettings
from yht import logs


def main() -> None:
    logs.setup()
    settings = TicketingSettings()
    if settings.database_url.startswith("sqlite:///"):
        from pathlib import Path

        Path(settings.database_url.removeprefix("sqlite:///")).parent.mkdir(exist_ok=True)
    if settings.owner_database_url:
        # production: migrate and seed as the owner, serve as the service role
        migrate(settings.owner_database_url)
        owner = make_engine(settings.owner_database_url)
        seed(owner, settings)
        grant_service_role(owner, make_url(settings.database_url).username or "")
        owner.dispose()
    else:
        migrate(settings.database_url)
    engine = make_engine(settings.database_url)
    if not settings.owner_database_url:
        seed(engine, settings)
    app = create_app(settings, engine)
    # log_config=None: uvicorn's access lines go through the root handler and
    # its mask (a lookup by caller carries the number in the query string)
    # X-Forwarded-For is believed only from the proxies named in the settings
    # (none by default): a forged one would give every guess a new address
    proxies = settings.trusted_proxies.strip()
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="info", log_config=None,
                proxy_headers=bool(proxies), forwarded_allow_ips=proxies or None)  # fmt: skip


if __name__ == "__main__":
    main()
