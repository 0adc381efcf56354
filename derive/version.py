"""The version of derive (also reported in JSON output as `derive`)."""
__version__ = "0.1.0"
