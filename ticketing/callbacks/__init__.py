"""Callback tasks (回访): every closed work order ends with asking the citizen."""
