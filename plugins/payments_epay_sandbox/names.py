"""The sandbox plugin's name, in a module its others import without importing each other in a circle."""

NAME = "payments_epay_sandbox"
