"""The benchmark (scripts/bench): the integration against a bare WebSocket loop, in one process."""
