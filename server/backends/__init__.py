"""Where the data lives: the Backend port, the embedded store (embedded/) and a remote engine
(remote/), which never import each other."""
