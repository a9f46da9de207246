"""Facts: the snapshot contract, collectors for live orgs, and questions for the engineer."""
