"""Widgets, models and helpers both screens use: table plumbing, icons, units and the plan in words."""
