#!/usr/bin/env python3
"""Stand-alone pyst2 AGI script: the `call_setup` route, one process per call.

Runs inside the Asterisk chroot as AGI(call_setup.py,WINDOW_HOURS,BOOST).
Same AGI dialogue as the FastAGI route agi/call_setup.py; kept for
deployments without the FastAGI server and as the benchmark's baseline.
Needs only the standard library, pyst2 and python3-redis.
"""

import hashlib
import hmac
import os
import sys
import time

from asterisk.agi import AGI


def main() -> None:
    agi = AGI()
    window_hours = float(sys.argv[1]) if len(sys.argv) > 1 else 72.0
    boost = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    number = "".join(c for c in agi.env.get("agi_callerid", "") if c.isdigit() or c == "+")
    previous, last = 0, None
    key_secret = os.environ.get("YHT_CALLER_HASH_KEY", "")
    if number and key_secret:
        try:
            import redis

            client = redis.Redis(socket_timeout=0.5, socket_connect_timeout=0.5)
            key = (
                "yht:caller:"
                + hmac.new(key_secret.encode(), number.encode(), hashlib.sha256).hexdigest()[:32]
            )
            now = time.time()
            pipe = client.pipeline()
            pipe.hgetall(key)
            pipe.hincrby(key, "calls", 1)
            pipe.hset(key, "last_call_at", f"{now:.3f}")
            pipe.expire(key, 90 * 24 * 3600)
            known = pipe.execute()[0]
            previous = int(known.get(b"calls", 0))
            last = float(known[b"last_call_at"]) if b"last_call_at" in known else None
        except Exception:
            pass
    repeat = last is not None and time.time() - last <= window_hours * 3600
    agi.set_variable("__YHT_REPEAT_CALLER", "1" if repeat else "0")
    agi.set_variable("__YHT_PREV_CALLS", str(previous))
    agi.set_variable("__YHT_QUEUE", "hotline")
    agi.set_variable("__YHT_CATEGORY", "general")
    agi.set_variable("__YHT_PRIORITY", str(boost if repeat else 0))
    agi.set_variable("__YHT_IVR_PATH", "direct")
    agi.set_variable("YHT_IVR_ROUTE", "queue")


if __name__ == "__main__":
    main()
