"""Report: the terminal summary, the report files and the reporter hook specs."""
