"""The paved road: ``aigov new`` and ``aigov update`` on copier templates (templates/).

Only ``generate`` and ``update`` import copier, and only when they run: ``aigov check`` never does.
"""
