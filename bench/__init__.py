"""Kith's benchmarks (`make bench`): every figure against a baseline measured in the same run."""
