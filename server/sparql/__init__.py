"""SPARQL as text and as answers: the lexer, the fast-path parser, the guard, the protocol, result writers, the query contract."""
