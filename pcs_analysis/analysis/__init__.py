"""Analyses built on scoring: explanations, status and history, what-if scenarios,
recommendations, sensitivity to the rules, track comparison, certification plans and forecasts."""
