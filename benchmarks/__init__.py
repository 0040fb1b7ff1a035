"""Benchmarks: synthetic pipelines of the contract's shape and their timing."""
