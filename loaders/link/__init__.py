"""What links sources to each other: reconciliation of the same entity, matching of projects to S3 priorities."""
