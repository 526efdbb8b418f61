"""Quarterly evidence: control mappings, replayed and recorded decisions over a period, the bundle, verify."""
