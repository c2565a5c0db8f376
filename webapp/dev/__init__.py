"""Development only: the local mailbox and the demo seed."""
