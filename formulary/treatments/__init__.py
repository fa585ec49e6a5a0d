"""Treatment sessions: plan, check, administer, and what happened afterwards."""
