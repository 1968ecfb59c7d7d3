"""Reports: one partner's report, the notebook parameters, and the bulk runner."""
