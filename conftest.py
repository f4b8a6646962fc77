"""Root conftest: Parity itself is loaded through its ``pytest11`` entry point (``parity``).

``pytest`` in this directory runs the eval suite in ``evals/`` (see ``testpaths``);
``pytest tests`` runs the project's own tests.
"""

collect_ignore = ["reports", ".venv"]
