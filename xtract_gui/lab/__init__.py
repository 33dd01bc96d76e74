"""Simulators behind the real wire protocols: the demo lab and the test peers."""
