"""Mandarin voice front end of the hotline, defined as data (menu.yaml, prompts.yaml)."""
