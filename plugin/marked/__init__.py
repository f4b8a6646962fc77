"""Marked tests: ``@pytest.mark.parity`` tests, their own data and the ``parity_model`` pipeline."""
