"""The eval harness: cross-lingual retrieval over the UDHR (200+ languages), which-policy accuracy on
the labelled dev set, and latency per stage. Run by `policygraph eval`."""
