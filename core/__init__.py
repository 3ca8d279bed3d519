"""What every domain package shares: settings, the database layer, the error format."""
