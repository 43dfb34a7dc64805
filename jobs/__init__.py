"""Jobs app."""
