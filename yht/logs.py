"""One logging set-up for every service: time, logger, level, message on
stderr, and the mask that keeps citizens' numbers out of every line."""

from __future__ import annotations

import logging

from yht.privacy import mask_logs

FORMAT = "%(asctime)s %(name)s %(levelname)s %(message)s"


def setup(level: int = logging.INFO) -> None:
    logging.basicConfig(level=level, format=FORMAT)
    mask_logs()  # citizens' numbers never reach a log in clear
