"""The benchmark (scripts/bench): the integration against a bare loop and Home Assistant's floor."""
