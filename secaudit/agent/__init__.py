"""Agent-side configuration and state."""
