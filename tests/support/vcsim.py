"""pytest fixtures for the vcsim peer (placeholder until its owner fills it)."""
