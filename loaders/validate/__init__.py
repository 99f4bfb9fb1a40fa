"""SHACL validation of a build, with the engine of choice, traced back to the record and field."""
