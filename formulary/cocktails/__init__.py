"""Cocktails: versioned recipes per treatment goal."""
