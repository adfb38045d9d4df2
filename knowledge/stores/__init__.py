"""Vector stores behind one protocol: embedded LanceDB and Weaviate."""
