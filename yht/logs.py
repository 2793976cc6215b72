"""One logging set-up for every service: time, logger, level, message on
stderr, and the mask that keeps citizens' numbers out of every line; and the
memory trace an operator can switch on (yht/memory.py)."""

from __future__ import annotations

import logging

from yht import memory
from yht.privacy import mask_logs

FORMAT = "%(asctime)s %(name)s %(levelname)s %(message)s"


def setup(level: int = logging.INFO) -> None:
    logging.basicConfig(level=level, format=FORMAT)
    mask_logs()  # citizens' numbers never reach a log in clear
    memory.install()  # only with YHT_MEMORY_TRACE set
