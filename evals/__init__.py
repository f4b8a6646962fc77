"""The suite's eval modules: datasets, tasks, metrics and the parametrized experiment test."""
