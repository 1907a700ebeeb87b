"""One router module per resource; ``api.main`` composes them."""
