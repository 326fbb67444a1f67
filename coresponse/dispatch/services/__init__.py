"""Every write of the dispatch stage, one module per use case: triage, intake, the board."""
