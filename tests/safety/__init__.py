"""Tests of the pre-session check, a pure function of plain values."""
