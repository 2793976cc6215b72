"""Channel variable names shared by the dialplan, the IVR, the ACD, the
bridge and the tests: written here once, never as string literals elsewhere.

A leading "__" makes Asterisk copy a variable onto every channel the call
creates, so the agent's leg carries the same names (read them without it).
"""

CALL_ID = "YHT_CALL_ID"
HOTLINE = "YHT_HOTLINE"
CALLER = "YHT_CALLER"
CATEGORY = "YHT_CATEGORY"
PRIORITY = "YHT_PRIORITY"
IVR_PATH = "YHT_IVR_PATH"
QUEUE = "YHT_QUEUE"
REPEAT_CALLER = "YHT_REPEAT_CALLER"
PREV_CALLS = "YHT_PREV_CALLS"
ORDER_NO = "YHT_ORDER_NO"
# three-way calls and the SOS line (15-sos.conf, 60-conference.conf)
CONF = "YHT_CONF"
SOS_KNOWN = "YHT_SOS_KNOWN"
SOS_AUTO_120 = "YHT_SOS_AUTO_120"  # 1: dials 120 by itself when unanswered
SOS_JOIN = "YHT_SOS_JOIN"
RECORDING = "YHT_RECORDING"
# live captions (25-captions.conf): the channel a caption spy listens to
SPY = "YHT_SPY"
# the seat on whose behalf an outside party is dialled (its cap on outside calls)
OUT_SEAT = "YHT_OUT_SEAT"
# not inherited: the dialplan branches on it right after the AGI returns
IVR_ROUTE = "YHT_IVR_ROUTE"
# the front end (20-hotline.conf): the music-on-hold class a queued caller
# hears, the key pressed while queued, and the epoch second from which a
# hang-up without an answer is a missed call (the ACD reads it on abandons)
WAIT_CLASS = "YHT_WAIT_CLASS"
KEY = "YHT_KEY"
MISSED_AFTER = "YHT_MISSED_AFTER"
# epoch time (to the millisecond) of the call's first queue entry, kept across
# every rejoin: what a caller's wait is counted from (20-hotline.conf)
QUEUED_AT = "YHT_QUEUED_AT"
# the caller's place in line: QUEUED_AT less a repeat caller's boost (30-queue.conf)
QUEUE_KEY = "YHT_QUEUE_KEY"

# what an agent's screen-pop needs, as AMI presents them (manager.conf channelvars)
SCREEN_POP = (CALL_ID, HOTLINE, CALLER, CATEGORY, PRIORITY, IVR_PATH, QUEUE, REPEAT_CALLER,
              PREV_CALLS, ORDER_NO)  # fmt: skip


def inherited(name: str) -> str:
    """The name to SET so the value reaches the agent's leg too."""
    return f"__{name}"
