"""What plugins provide, as typing Protocols: one file per kind of provider."""
