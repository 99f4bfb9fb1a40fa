"""The application: the command line, settings (the only package that reads them) and the supervisor of `s3kg serve`."""
