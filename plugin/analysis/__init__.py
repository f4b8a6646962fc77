"""Analysis: aggregation, statistics, paired verdicts, gates, stored baselines and TCO."""
