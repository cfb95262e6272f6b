"""Reports: read models over the counters and the ledger — per-node statistics, drill-down, significance."""
