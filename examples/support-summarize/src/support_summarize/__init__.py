"""Summarise support tickets with the approved model."""

MODEL_ID = "anthropic.claude-sonnet-4"
