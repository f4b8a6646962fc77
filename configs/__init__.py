"""Shipped configs: the default experiments and the pricing table (package data)."""
