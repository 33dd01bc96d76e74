"""pytest fixtures for the ganesha peer (placeholder until its owner fills it)."""
