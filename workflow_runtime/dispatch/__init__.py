"""Dispatch: the Redis side and the processes that work it — job queue, wake-up set, jobs, scheduler, workers.

Redis holds nothing the database does not; `reconciler` rebuilds it from the tables.
"""
