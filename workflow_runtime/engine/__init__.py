"""The engine: a flow's definition, and what happens to a contact in it — enrol, step, wait, wake, goal, exit.

Pure database work in the caller's transaction: it touches no Redis, no network and no Flask.
`batches` is its entry point: it advances a batch of runs, or applies a batch of events, and
returns the `BatchEffects` the caller acts on once the transaction committed.
"""
