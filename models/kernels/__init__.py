"""Numerical kernels shared by zoo members: numpy arrays in, numpy arrays out."""
