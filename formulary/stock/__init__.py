"""Stock: lots, the movement ledger and the FEFO rule."""
