"""Config: the YAML schema and its loader, experiments, models, registries and extensions."""
