"""The tables a build publishes an index of: their specification and the index."""
