"""PolicyGraph: which policy rules apply to this content, and why (see README.md and docs/)."""
