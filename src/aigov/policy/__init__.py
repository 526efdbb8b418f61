"""Policy packs, METADATA, engines and the Rego test runner."""
