"""Harness for the its-log integration tests: servers, HTTP client, day-file readers."""
