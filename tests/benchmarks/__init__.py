"""Speed and memory benchmarks of the simulator (run with ``--benchmarks``)."""
