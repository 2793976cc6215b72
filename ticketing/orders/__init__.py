"""Work orders: the seven-step loop from intake to evaluation."""
