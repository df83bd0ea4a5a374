"""Trial data on disk: reading and writing the tables the engine and the analysis share."""
