"""Websockets bridge: screen-pops for agents and the seat map for shift leads (issue 4)."""
