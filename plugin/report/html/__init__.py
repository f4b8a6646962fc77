"""The self-contained HTML report: inline SVG plots, tables and an example browser, built
from a run folder's stored files alone (``summary.json`` and the raw JSONL rows)."""
