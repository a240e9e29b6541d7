"""The providers, the session, kind and its mirrors, the plain node."""
