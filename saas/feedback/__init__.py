"""Client feedback (§12.2, §12.3, Annex 8): received, handled, an outcome the client confirms."""
