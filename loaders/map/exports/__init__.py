"""The real exports (keep.eu, Kohesio, CORDIS, Jems), one module per format, and the runner that caches their mapped graphs."""
