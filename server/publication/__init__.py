"""What a build publishes for download and follow-up: dumps, catalogue, versions, feed, quoted documents."""
