"""connectors models arrive with their issues."""
