"""Intake from other channels (SMS, web form, WeChat), idempotent per delivery."""
