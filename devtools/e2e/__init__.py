"""End to end (scripts/e2e): a real hass and the simulator, through HTTP and a browser."""
