"""search models arrive with their issues."""
