"""Service level management (issue 5). So far: the pure business-time module."""
