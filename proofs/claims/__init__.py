"""The claims, one module per group of the book's statements (``proofs.run.registry`` lists them in order)."""
