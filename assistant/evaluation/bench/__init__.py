"""Benchmarks against the raw libraries (`manage.py bench`): harness.py runs each module's
run_*_bench(quick) in a child process; harness.BENCHMARKS lists them."""
