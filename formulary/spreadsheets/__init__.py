"""Stock workbooks: the one format, the guard, reading, cell values and writing (no database)."""
