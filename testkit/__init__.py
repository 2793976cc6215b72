"""Test tooling that tests, benchmarks and scripts share: sipp peers, AMI
recording, our own processes, waiting with deadlines."""
