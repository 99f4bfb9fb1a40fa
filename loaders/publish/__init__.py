"""The published store and everything written beside a build: dumps, changes, feed, search index, documents, a remote engine."""
