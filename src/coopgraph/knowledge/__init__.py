"""Turning the project's files into the graph: loading, reasoning, SHACL validation, the build."""
