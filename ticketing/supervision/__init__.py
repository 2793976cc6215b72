"""Deadlines on a working-day calendar and supervision (督办) of late work orders."""
