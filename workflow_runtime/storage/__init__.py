"""Storage: the tables (the source of truth), their migrations, and the bulk reads and writes a batch uses."""
