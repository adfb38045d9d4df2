"""Documents on their way in: detect the format, parse to sections, cut into chunks."""
