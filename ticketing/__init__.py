"""Work-order service: intake, dispatch, supervision and citizen callback (issue 3)."""
