"""The benchmark suite of the scale work: ``python -m benchmarks.run`` (see README.md).

Kept empty of imports: ``python -m benchmarks.limit`` runs in a child process whose
peak memory is measured, and must load nothing but numpy and highspy.
"""
