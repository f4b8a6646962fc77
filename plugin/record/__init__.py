"""Record: the one result record, its usage type, scoring, and where it is kept (rows, cache, run folders)."""
