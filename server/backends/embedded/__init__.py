"""The embedded pyoxigraph store: its backend, the query pool, the sandboxed workers."""
