"""Contributions from outside: checking one against the graph, and the ledger of accepted ones."""
