"""aigov: policy-as-code governance for AI features."""

__version__ = "0.1.0"
