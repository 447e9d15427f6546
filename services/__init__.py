"""The use-cases: one module per user job (coverage, siting and planning a check, exports,
hotspots, the follow-up report and the promise register, imports, the demo) and the access
policy. The API routes, the CLI and the tests call them; they read and write the store, call
``geo`` for the methods and ``maps`` for the pictures, and never import a web framework."""
