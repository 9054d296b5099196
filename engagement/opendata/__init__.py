"""Open data: the CSV and JSON exports and the read-only JSON API."""
