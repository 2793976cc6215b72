"""Live captions (issue 12, item 3): while a hotline call is up, each leg's
audio streams to Vosk and the partial and final results reach the desk of
the seat on the call (and a shift lead listening to it) through the bridge.

How the audio gets out of Asterisk: when a seat answers (AMI AgentConnect)
this service originates, per leg, a Local channel whose one half runs
ChanSpy on that leg only (option o: the audio coming from it) and whose
other half runs AudioSocket to this service (25-captions.conf). Nothing is
added to the call's own channels: a spy is an audiohook on the leg, it ends
with the leg (ChanSpy E), and a stopped caption service costs the call
nothing (the Local channel fails; the call goes on).
"""
