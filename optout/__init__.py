"""optout: switch off the settings that let platforms train AI on your accounts, and prove it."""

__version__ = "0.1.0"
