"""The center's numbers (issue 13): Asterisk's queue_log ingested into the
work-order database (ingest.py, `python -m ticketing.reports.ingest`), the
call figures computed from it with every formula stated (calls.py), served
to leaders, shift leads and administrators (views.py)."""
