"""Add-on services (§13): offers of the add-on types plugins provide, signed add-on agreements, their billing."""
