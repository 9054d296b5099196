"""engagement models arrive with their issues."""
