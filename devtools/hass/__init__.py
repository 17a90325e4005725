"""A real Home Assistant (the hass process) set up over HTTP as a person would: develop, e2e."""
