"""Collectors: each turns one source of truth in the repository into plain JSON facts.

Collectors never decide; the policies do. Anything a collector cannot establish is reported as
a fact (``exists: false``, ``errors: [...]``) or, for input aigov cannot read, an AigovError.
"""
