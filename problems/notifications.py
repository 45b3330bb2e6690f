"""Problem events to the outbox: assignment, workaround available, problem resolved."""
