"""Recorded calls after the call: transcription workers (python -m recordings.worker)."""
