"""pytest fixtures for the winrm peer (placeholder until its owner fills it)."""
