"""Developer tools kept out of the installed package (they may need the dev extras)."""
