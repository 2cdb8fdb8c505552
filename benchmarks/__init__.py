"""Speed and memory figures, each against a baseline measured in the same run.

python -m benchmarks.run            # every benchmarks/bench_*.py, one table
python -m benchmarks.bench_load     # one topic, its rows printed
"""
