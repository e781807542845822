"""Forms: they parse and explain input; the workflow and services decide and write."""
