"""A remote SPARQL engine: its backend, the query forwarder, the reader, the query and answer translation."""
