"""Reports over the ledger (consumption, waste, session costs, sessions, turnover) and the daily digest."""
