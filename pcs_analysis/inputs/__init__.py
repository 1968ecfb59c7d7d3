"""Inputs: the canonical tables' schemas, reading and validating a data folder, the Partner
Center import, the sample generator, and the report of inputs no rule reads."""
