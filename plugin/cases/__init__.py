"""Cases: the plan of (experiment, example) items, their node ids, sampling and smoke runs."""
