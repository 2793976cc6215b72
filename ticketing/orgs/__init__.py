"""The organisation tree work orders are dispatched through, and the subject taxonomy."""
