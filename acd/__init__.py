"""ACD controller: agent sessions on app_queue over AMI, live state in Redis (issue 4)."""
