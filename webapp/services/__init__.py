"""Business rules. Services take explicit arguments, never read `request`, and only flush."""
