"""Simulated plants (documented as simulated wherever used): ore purchases, grades,
recoveries and capacity, and the reference plant's publication pattern."""
