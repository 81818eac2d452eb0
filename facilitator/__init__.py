"""The command line and the wiring of engine, database and adapters."""
