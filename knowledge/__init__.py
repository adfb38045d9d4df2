"""helpbot's shared library: settings, database, documents, stores, retrieval, generation."""
