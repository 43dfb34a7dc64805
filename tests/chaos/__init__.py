"""`make chaos`: the whole loop under faults, on a PostgreSQL and a Redis of the suite's own.

Nothing heavy here: `python -m tests.chaos` points Django at those servers before setup.
"""
