"""What every Yihaotong service shares: rules that must be the same in the
dialplan, the ACD and the work-order service."""
