"""pytest fixtures for the prism peer (placeholder until its owner fills it)."""
