"""One module per console tab: plain handler functions plus the `build(ctx)` that lays them out."""
