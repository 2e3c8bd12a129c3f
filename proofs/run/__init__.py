"""Running the claims: the command line, the registry, the plan of parts, the executors and their workers."""
