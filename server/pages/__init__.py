"""Pages for people and dereferenceable URIs: entities, Memento, tables, search, map, templates and static files."""
