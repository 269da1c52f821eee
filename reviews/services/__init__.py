"""Every state change of the reviews app, split by subject; each states its side effects."""
