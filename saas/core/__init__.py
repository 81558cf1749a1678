"""What every feature stands on: tenancy, people, auth, plugins, clock, money, rendering."""
