"""Written notices between the parties of an agreement: breach, request to cure, claim, dispute, termination."""
