"""The elder registry (SOS one-key phones) and the record of SOS calls."""
