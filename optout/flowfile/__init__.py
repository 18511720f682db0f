"""Flow files: the schema a flow is checked against, how flows are loaded and layered (shipped,
the person's local flows, a signed update), the origin guard, and signed update bundles."""
