"""Presets: the typed catalogue of `presets/*.json` and of the user's recipe files, and the README's methods table."""
