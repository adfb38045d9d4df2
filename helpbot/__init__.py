"""helpbot's composition root: the CLI and the all-in-one `helpbot up`."""
