"""The engine: one evaluator over the registered metric kinds (`rules.kinds`), the points and
qualification expressions (`engine.points`), track classification and scoring."""
