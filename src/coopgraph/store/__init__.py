"""Where the graph lives: the Store interface and its backends (embedded, snapshots, remote, Virtuoso)."""
