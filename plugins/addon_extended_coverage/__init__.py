"""Extended coverage add-on (§13): chosen request categories served 7×24 (or faster) while the add-on runs."""
