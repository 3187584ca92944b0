"""Script A/B tests: two variants of a scenario shown to two learner groups."""
